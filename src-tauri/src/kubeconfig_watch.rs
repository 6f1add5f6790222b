//! Picks up an edited kubeconfig while the app runs: every 2 s the cluster list's files are
//! looked at; after a change the fleet follows the new list (new contexts, renewed
//! certificates, removed ones) and every window listening is told, so its Clusters view reloads.

use std::time::Duration;

use tauri::Manager as _;
use tauri::State;
use tauri::ipc::Channel;
use tenantry_core::cluster::ClusterList;
use tenantry_core::cluster_files::ClusterFiles;
use tenantry_core::fleet::Fleet;
use tenantry_core::kubeconfig::Sources;
use tenantry_model::UiError;
use tokio::sync::watch;

/// How often the files are looked at (a `stat` each).
const LOOK_EVERY: Duration = Duration::from_secs(2);

/// How many times the cluster list's files changed since the app started.
pub struct Reloads(watch::Sender<u64>);

impl Default for Reloads {
    fn default() -> Self {
        Self(watch::channel(0).0)
    }
}

/// Looks at the files for as long as the app runs; managed state [`Reloads`] and [`Fleet`] must be in place.
pub async fn follow(handle: tauri::AppHandle) {
    let sources = Sources::from_env();
    let mut files = ClusterFiles::new(&sources);
    let mut ticks = tokio::time::interval(LOOK_EVERY);
    loop {
        ticks.tick().await;
        if !files.changed() {
            continue;
        }
        let list = ClusterList::load_with_added(&sources);
        tracing::info!(contexts = list.entries.len(), "the kubeconfig changed; the fleet follows it");
        if let Some(fleet) = handle.try_state::<Fleet>() {
            fleet.follow(list.fleet().into_iter().cloned().collect());
        }
        if let Some(reloads) = handle.try_state::<Reloads>() {
            reloads.0.send_modify(|count| *count += 1);
        }
    }
}

/// Sends `on_event` the number of changes so far, then each new one, for as long as the window listens.
#[tauri::command]
pub async fn watch_kubeconfig(reloads: State<'_, Reloads>, on_event: Channel<u64>) -> Result<(), UiError> {
    let mut changes = reloads.0.subscribe();
    while changes.changed().await.is_ok() {
        let count = *changes.borrow_and_update();
        if on_event.send(count).is_err() {
            break;
        }
    }
    Ok(())
}
