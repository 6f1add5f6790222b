//! The Tauri commands: thin adapters from the UI's calls to core.

use futures::StreamExt as _;
use tauri::State;
use tauri::ipc::Channel;
use tenantry_core::cluster::{ClusterList, DEFAULT_PROBE_TIMEOUT};
use tenantry_core::fleet::Fleet;
use tenantry_core::kubeconfig::Sources;
use tenantry_model::{ClusterEvent, ErrorKind, FleetEvent, TenantDetail, UiError};

/// Most probe results sent in one message.
const BATCH: usize = 64;

/// Streams the kubeconfig's clusters to `on_event`: the list at once (broken contexts already
/// marked), then probe results in batches as they finish, then `Done`.
#[tauri::command]
pub async fn watch_clusters(on_event: Channel<ClusterEvent>) -> Result<(), UiError> {
    let list = ClusterList::load_with_added(&Sources::from_env());
    tracing::info!(contexts = list.entries.len(), files = ?list.summary.files, "kubeconfig loaded");
    send(&on_event, ClusterEvent::Listed { kubeconfig: list.summary.clone(), clusters: list.rows() })?;
    let mut batches = list.probe_chosen(DEFAULT_PROBE_TIMEOUT).ready_chunks(BATCH);
    while let Some(results) = batches.next().await {
        send(&on_event, ClusterEvent::Probed { results })?;
    }
    send(&on_event, ClusterEvent::Done)
}

/// Streams the fleet to `on_event` for as long as the window listens: a snapshot (cached rows
/// until each cluster syncs), then batched tenant changes and connection changes.
#[tauri::command]
pub async fn watch_tenants(fleet: State<'_, Fleet>, on_event: Channel<FleetEvent>) -> Result<(), UiError> {
    let mut events = std::pin::pin!(fleet.subscribe());
    while let Some(event) = events.next().await {
        send(&on_event, event)?;
    }
    Ok(())
}

/// One tenant in detail: summary, pods, warning events, backups and health history.
#[tauri::command]
pub async fn tenant_detail(fleet: State<'_, Fleet>, cluster: String, id: String) -> Result<TenantDetail, UiError> {
    fleet.detail(&cluster, &id).await.ok_or_else(|| unknown_tenant(&cluster, &id))
}

/// The error of a tenant the fleet no longer knows.
pub fn unknown_tenant(cluster: &str, id: &str) -> UiError {
    UiError {
        kind: ErrorKind::Api,
        message: format!("The tenant {id} is no longer known on {cluster}."),
        detail: String::new(),
    }
}

fn send<T: tauri::ipc::IpcResponse>(channel: &Channel<T>, event: T) -> Result<(), UiError> {
    channel.send(event).map_err(|err| UiError {
        kind: ErrorKind::Internal,
        message: "The window stopped listening for updates.".into(),
        detail: tenantry_core::error::chain(&err),
    })
}
