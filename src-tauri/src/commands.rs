//! The Tauri commands: thin adapters from the UI's calls to core.

use std::time::Duration;

use futures::StreamExt as _;
use tauri::ipc::Channel;
use tenantry_core::cluster::{ClusterList, DEFAULT_PROBE_TIMEOUT};
use tenantry_core::inventory;
use tenantry_core::kubeconfig::Sources;
use tenantry_model::{ClusterEvent, ErrorKind, FleetEvent, TenantDetail, UiError};

/// Most probe results sent in one message.
const BATCH: usize = 64;
/// How long a tenant change waits for more before its batch is sent (one IPC message per batch).
const CHANGE_BATCH: Duration = Duration::from_millis(200);
/// How long a cluster may take to list its tenants before it is reported as failed.
const SYNC_TIMEOUT: Duration = Duration::from_secs(15);

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

/// Streams the tenants of every cluster (one context per API server) to `on_event`: the
/// clusters to expect, then each cluster's full list once it has synced, then batched changes,
/// for as long as the window listens; a cluster that cannot be watched is reported once and
/// delays no other.
#[tauri::command]
pub async fn watch_tenants(on_event: Channel<FleetEvent>) -> Result<(), UiError> {
    let list = ClusterList::load(&Sources::from_env());
    if let Some(error) = list.summary.error {
        return Err(error);
    }
    let clusters: Vec<_> = list.watched(None).into_iter().cloned().collect();
    let mut events = inventory::fleet_events(clusters, SYNC_TIMEOUT, CHANGE_BATCH).boxed();
    while let Some(event) = events.next().await {
        send(&on_event, event)?;
    }
    Ok(())
}

/// One tenant in detail (summary and pods), read from its cluster now.
#[tauri::command]
pub async fn tenant_detail(cluster: String, id: String) -> Result<TenantDetail, UiError> {
    let list = ClusterList::load(&Sources::from_env());
    if let Some(error) = list.summary.error {
        return Err(error);
    }
    let not_found = |what: String| UiError { kind: ErrorKind::Api, message: what, detail: String::new() };
    let entry = list
        .entries
        .iter()
        .find(|e| e.name == cluster)
        .ok_or_else(|| not_found(format!("The cluster {cluster} is no longer in the kubeconfig.")))?;
    inventory::tenant_detail(entry, &id, SYNC_TIMEOUT)
        .await
        .map_err(|err| tenantry_core::error::inventory_error_for_ui(&err))?
        .ok_or_else(|| not_found(format!("The tenant {id} no longer exists on {cluster}.")))
}

fn send<T: tauri::ipc::IpcResponse>(channel: &Channel<T>, event: T) -> Result<(), UiError> {
    channel.send(event).map_err(|err| UiError {
        kind: ErrorKind::Internal,
        message: "The window stopped listening for updates.".into(),
        detail: err.to_string(),
    })
}
