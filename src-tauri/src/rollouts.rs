//! The Tauri commands of fleet rollouts: plan one change for the chosen tenants (with its
//! preview), start or resume it in the background, follow, pause, abort, roll back and export it.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use tauri::{AppHandle, Manager as _, State};
use tenantry_core::actions::Actions;
use tenantry_core::cluster::ClusterList;
use tenantry_core::fleet::Fleet;
use tenantry_core::kubeconfig::Sources;
use tenantry_core::rollout::{HealthOf, RolloutError, Rollouts};
use tenantry_model::{
    ErrorKind, FleetChange, Rollout, RolloutChanges, RolloutPlan, RolloutSettings, RolloutState, RolloutStatus,
    RolloutSummary, UiError,
};

/// Rollouts listed at most, newest first.
const LISTED: usize = 50;

/// The rollouts this process runs now (one task each).
#[derive(Default)]
pub struct RolloutTasks(Mutex<HashSet<i64>>);

/// Freezes `change` for the tenants `targets` (`(cluster, id)`, in the order they were chosen)
/// into a planned rollout with its preview; `reason` is required.
#[tauri::command]
pub async fn plan_rollout(
    actions: State<'_, Actions>,
    fleet: State<'_, Fleet>,
    change: FleetChange,
    targets: Vec<(String, String)>,
    canary: Vec<(String, String)>,
    settings: RolloutSettings,
    reason: String,
) -> Result<RolloutPlan, UiError> {
    if reason.trim().is_empty() {
        return Err(invalid("Say why (a ticket number, say): it is recorded on every tenant's audit entry."));
    }
    if change.is_empty() {
        return Err(invalid("Say what to change: a version, a plan, a config key or a parameter."));
    }
    let chosen: BTreeSet<(String, String)> = targets.iter().cloned().collect();
    let mut rows = fleet.tenants();
    rows.retain(|row| chosen.contains(&(row.cluster.clone(), row.id.clone())));
    let position =
        |row: &tenantry_model::TenantSummary| targets.iter().position(|t| t.0 == row.cluster && t.1 == row.id);
    rows.sort_by_key(position);
    let health = |cluster: &str, id: &str| fleet.live_health(cluster, id);
    let rollouts = Rollouts::new(&actions, entries(), &health);
    let rollout = rollouts.plan(&change, &rows, settings, &canary, reason.trim()).await.map_err(|e| to_ui(&e))?;
    let groups = rollouts.preview(&rollout).await;
    Ok(RolloutPlan { rollout, groups })
}

/// Plans the roll back of rollout `id`'s converged tenants, with its preview.
#[tauri::command]
pub async fn plan_roll_back_rollout(
    actions: State<'_, Actions>,
    fleet: State<'_, Fleet>,
    id: i64,
    reason: String,
) -> Result<RolloutPlan, UiError> {
    let health = |cluster: &str, id: &str| fleet.live_health(cluster, id);
    let rollouts = Rollouts::new(&actions, entries(), &health);
    let rollout = rollouts.plan_roll_back(id, reason.trim()).await.map_err(|e| to_ui(&e))?;
    let groups = rollouts.preview(&rollout).await;
    Ok(RolloutPlan { rollout, groups })
}

/// Starts (or resumes) rollout `id` in the background; the window follows it with
/// [`rollout`]. A rollout this process already runs is left running.
#[tauri::command]
pub async fn start_rollout(handle: AppHandle, tasks: State<'_, RolloutTasks>, id: i64) -> Result<(), UiError> {
    let actions = handle.state::<Actions>();
    if let Some(owner) = tenantry_core::rollout::running_elsewhere(actions.cache(), id).await.map_err(|e| to_ui(&e))? {
        return Err(to_ui(&RolloutError::RunningElsewhere { id, owner }));
    }
    if !tasks.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(id) {
        return Ok(());
    }
    tauri::async_runtime::spawn(run_in_background(handle, id));
    Ok(())
}

/// Runs rollout `id` to where it stops, then lets the fleet recheck drift on its clusters.
async fn run_in_background(handle: AppHandle, id: i64) {
    {
        let (actions, fleet) = (handle.state::<Actions>(), handle.state::<Fleet>());
        let fleet: &Fleet = &fleet;
        let health: &HealthOf<'_> = &move |cluster: &str, id: &str| fleet.live_health(cluster, id);
        let rollouts = Rollouts::new(&actions, entries(), health);
        let mut ignore = |_: tenantry_model::RolloutEvent| {};
        let ran = rollouts.run(id, &mut ignore).await;
        match &ran {
            // Another process took it over meanwhile, or it had ended: its state is theirs to say.
            Err(error @ (RolloutError::RunningElsewhere { .. } | RolloutError::Ended { .. })) => {
                tracing::warn!(rollout = id, error = %tenantry_core::error::chain(error), "the rollout did not run");
            }
            Err(error) => {
                tracing::warn!(rollout = id, error = %tenantry_core::error::chain(error), "the rollout did not run");
                let _ = actions.cache().rollout_set_state(id, RolloutState::Paused, &to_ui(error).message).await;
            }
            Ok(_) => {}
        }
        for cluster in ran.iter().flat_map(|r| r.tenants.iter().map(|t| t.context.as_str())).collect::<BTreeSet<_>>() {
            fleet.recheck_drift(cluster);
        }
    }
    handle.state::<RolloutTasks>().0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&id);
}

/// Rollout `id` with every tenant's state (one left running by a closed app reads as paused).
#[tauri::command]
pub async fn rollout(actions: State<'_, Actions>, id: i64) -> Result<Rollout, UiError> {
    tenantry_core::rollout::load(actions.cache(), id).await.map_err(|e| to_ui(&e))
}

/// What each followed rollout's window holds: the generation and the status last sent to it.
#[derive(Default)]
pub struct RolloutsFollowed {
    held: Mutex<HashMap<i64, (u64, RolloutStatus)>>,
    last_generation: AtomicU64,
}

/// What changed in rollout `id` (its state and each tenant's) since the window's generation
/// `since`; everything when the window holds none or another.
#[tauri::command]
pub async fn rollout_changes(
    actions: State<'_, Actions>,
    followed: State<'_, RolloutsFollowed>,
    id: i64,
    since: Option<u64>,
) -> Result<RolloutChanges, UiError> {
    let status = tenantry_core::rollout::load(actions.cache(), id).await.map_err(|e| to_ui(&e))?.status();
    let generation = followed.last_generation.fetch_add(1, Ordering::Relaxed) + 1;
    let mut held = followed.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let before = held.get(&id).filter(|(held_generation, _)| Some(*held_generation) == since);
    let changes = status.changes_since(before.map(|(_, status)| status), generation);
    held.insert(id, (generation, status));
    Ok(changes)
}

/// The latest rollouts, newest first, without their tenants.
#[tauri::command]
pub async fn rollouts(actions: State<'_, Actions>) -> Result<Vec<RolloutSummary>, UiError> {
    let cache = actions.cache();
    let ids = cache.rollout_ids().await.map_err(|e| internal("The rollouts cannot be read.", &e))?;
    let mut listed = Vec::new();
    for id in ids.into_iter().take(LISTED) {
        let rollout = tenantry_core::rollout::load(cache, id).await.map_err(|e| to_ui(&e))?;
        listed.push(RolloutSummary::from(&rollout));
    }
    Ok(listed)
}

/// Pauses rollout `id` after the tenants in flight; resuming goes on where it stopped.
#[tauri::command]
pub async fn pause_rollout(actions: State<'_, Actions>, id: i64) -> Result<(), UiError> {
    set_state(&actions, id, &[RolloutState::Running], RolloutState::Paused, "paused from the window").await
}

/// Aborts rollout `id` (or discards a planned one): the tenants in flight finish, no more start.
#[tauri::command]
pub async fn abort_rollout(actions: State<'_, Actions>, id: i64) -> Result<(), UiError> {
    let from = [RolloutState::Planned, RolloutState::Running, RolloutState::Paused, RolloutState::Stopped];
    set_state(&actions, id, &from, RolloutState::Aborted, "aborted from the window").await
}

/// Writes rollout `id`'s report as CSV into the data folder's `exports/`; returns the path.
#[tauri::command]
pub async fn export_rollout(actions: State<'_, Actions>, id: i64) -> Result<String, UiError> {
    let rollout = tenantry_core::rollout::load(actions.cache(), id).await.map_err(|e| to_ui(&e))?;
    let csv = tenantry_core::rollout::report_csv(&rollout)
        .map_err(|e| internal("The report could not be written as CSV.", &e))?;
    let path = tenantry_core::paths::export_file(&format!("rollout-{id}"), "csv");
    std::fs::create_dir_all(tenantry_core::paths::exports_dir())
        .and_then(|()| std::fs::write(&path, csv))
        .map_err(|e| internal("The report file could not be written.", &e))?;
    Ok(path.display().to_string())
}

async fn set_state(
    actions: &Actions,
    id: i64,
    from: &[RolloutState],
    to: RolloutState,
    message: &str,
) -> Result<(), UiError> {
    let rollout = tenantry_core::rollout::load(actions.cache(), id).await.map_err(|e| to_ui(&e))?;
    if !from.contains(&rollout.state) {
        return Err(invalid(&format!("Rollout #{id} is {:?}; that cannot be done now.", rollout.state).to_lowercase()));
    }
    actions.cache().rollout_set_state(id, to, message).await.map_err(|e| internal("The rollout cannot be changed.", &e))
}

/// Every cluster of the kubeconfig (and those added in the app).
fn entries() -> Vec<tenantry_core::kubeconfig::ContextEntry> {
    ClusterList::load_with_added(&Sources::from_env()).entries
}

fn to_ui(error: &RolloutError) -> UiError {
    let kind = match error {
        RolloutError::Cache(_) => ErrorKind::Internal,
        _ => ErrorKind::Invalid,
    };
    UiError { kind, message: tenantry_core::error::chain(error), detail: String::new() }
}

fn invalid(message: &str) -> UiError {
    UiError { kind: ErrorKind::Invalid, message: message.to_owned(), detail: String::new() }
}

fn internal(message: &str, error: &(dyn std::error::Error + 'static)) -> UiError {
    UiError { kind: ErrorKind::Internal, message: message.to_owned(), detail: tenantry_core::error::chain(error) }
}
