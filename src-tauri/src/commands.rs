//! The Tauri commands: thin adapters from the UI's calls to core.

use futures::StreamExt as _;
use tauri::ipc::Channel;
use tenantry_core::cluster::{ClusterList, DEFAULT_PROBE_TIMEOUT};
use tenantry_core::kubeconfig::Sources;
use tenantry_model::{ClusterEvent, ErrorKind, UiError};

/// Most probe results sent in one message.
const BATCH: usize = 64;

/// Streams the kubeconfig's clusters to `on_event`: the list at once (broken contexts already
/// marked), then probe results in batches as they finish, then `Done`.
#[tauri::command]
pub async fn watch_clusters(on_event: Channel<ClusterEvent>) -> Result<(), UiError> {
    let list = ClusterList::load(&Sources::from_env());
    tracing::info!(contexts = list.entries.len(), files = ?list.summary.files, "kubeconfig loaded");
    send(&on_event, ClusterEvent::Listed { kubeconfig: list.summary.clone(), clusters: list.rows() })?;
    let mut batches = list.probe_all(DEFAULT_PROBE_TIMEOUT).ready_chunks(BATCH);
    while let Some(results) = batches.next().await {
        send(&on_event, ClusterEvent::Probed { results })?;
    }
    send(&on_event, ClusterEvent::Done)
}

fn send(channel: &Channel<ClusterEvent>, event: ClusterEvent) -> Result<(), UiError> {
    channel.send(event).map_err(|err| UiError {
        kind: ErrorKind::Internal,
        message: "The window stopped listening for cluster updates.".into(),
        detail: err.to_string(),
    })
}
