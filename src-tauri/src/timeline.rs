//! The Tauri commands of what happened: a tenant's timeline, and the fleet's changes since the
//! window was last open (its rows remembered every minute and when the app closes).

use std::time::Duration;

use tauri::State;
use tenantry_core::cache::LookedRow;
use tenantry_core::fleet::Fleet;
use tenantry_model::{SinceLastLooked, Timeline, UiError};

/// How often the window's view of the fleet is remembered while it is open.
const REMEMBER_EVERY: Duration = Duration::from_secs(60);
/// When it is first remembered: once the clusters had a moment to sync.
const FIRST_REMEMBERED: Duration = Duration::from_secs(10);

/// The fleet as the window saw it when it was last open, read once at start.
pub struct LastLooked(pub Option<(String, Vec<LookedRow>)>);

/// Remembers the fleet's rows as the window sees them, after [`FIRST_REMEMBERED`] and then
/// every [`REMEMBER_EVERY`] (and when the app closes).
pub async fn remember_while_open(handle: tauri::AppHandle) {
    use tauri::Manager as _;
    let mut wait = FIRST_REMEMBERED;
    loop {
        tokio::time::sleep(wait).await;
        if let Some(fleet) = handle.try_state::<Fleet>() {
            fleet.remember_looked().await;
        }
        wait = REMEMBER_EVERY;
    }
}

/// Tenant `id`'s timeline, newest first.
#[tauri::command]
pub async fn tenant_timeline(fleet: State<'_, Fleet>, cluster: String, id: String) -> Result<Timeline, UiError> {
    fleet.timeline(&cluster, &id).await.ok_or_else(|| crate::commands::unknown_tenant(&cluster, &id))
}

/// The fleet's changes since the window was last open, grouped by kind.
#[tauri::command]
pub fn since_last_looked(fleet: State<'_, Fleet>, looked: State<'_, LastLooked>) -> SinceLastLooked {
    let (since, before) = looked.0.clone().map_or((None, Vec::new()), |(at, rows)| (Some(at), rows));
    tenantry_core::looked::changes(since, &before, &fleet.tenants())
}
