//! The Tauri commands: thin adapters from the UI's calls to core.

use crate::marks::Marks;
use futures::StreamExt as _;
use serde::Serialize;
use tauri::State;
use tauri::ipc::{Channel, InvokeResponseBody, IpcResponse};
use tenantry_core::cluster::{ClusterList, DEFAULT_PROBE_TIMEOUT};
use tenantry_core::fleet::Fleet;
use tenantry_core::kubeconfig::Sources;
use tenantry_model::{ClusterEvent, ErrorKind, FleetEvent, TenantDetail, UiError};

/// Most probe results sent in one message.
const BATCH: usize = 64;

/// Tenants of a snapshot sent ahead of the rest: more than the table's first screen shows.
const FIRST_SCREEN: usize = 200;

/// How long the rest of a snapshot waits at most for the window to show its first screen.
const REST_BOUND: std::time::Duration = std::time::Duration::from_secs(1);

/// Streams the kubeconfig's clusters to `on_event`: the list at once (broken contexts already
/// marked), then probe results in batches as they finish, then `Done`. Packed, as the fleet's
/// stream is: a kubeconfig of 500 contexts is a list of 500 rows the window reads while it
/// brings up the fleet's first screen.
#[tauri::command]
pub async fn watch_clusters(on_event: Channel<Packed<ClusterEvent>>) -> Result<(), UiError> {
    let list = ClusterList::load_with_added(&Sources::from_env());
    tracing::info!(contexts = list.entries.len(), files = ?list.summary.files, "kubeconfig loaded");
    send(&on_event, Packed(ClusterEvent::Listed { kubeconfig: list.summary.clone(), clusters: list.rows() }))?;
    let mut batches = list.probe_chosen(DEFAULT_PROBE_TIMEOUT).ready_chunks(BATCH);
    while let Some(results) = batches.next().await {
        send(&on_event, Packed(ClusterEvent::Probed { results }))?;
    }
    send(&on_event, Packed(ClusterEvent::Done))
}

/// Streams the fleet to `on_event` for as long as the window listens: a snapshot (cached rows
/// until each cluster syncs; a large one's first screen ahead of the rest), then batched tenant
/// changes and connection changes.
#[tauri::command]
pub async fn watch_tenants(
    fleet: State<'_, Fleet>,
    marks: State<'_, Marks>,
    on_event: Channel<Packed<FleetEvent>>,
) -> Result<(), UiError> {
    let mut events = std::pin::pin!(fleet.subscribe());
    while let Some(event) = events.next().await {
        let mut parts = event.first_screen_first(FIRST_SCREEN).into_iter();
        if let Some(first) = parts.next() {
            send(&on_event, Packed(first))?;
        }
        if parts.len() > 0 {
            // The window renders the first screen before it takes in the rest.
            let _ = tokio::time::timeout(REST_BOUND, marks.rows_shown()).await;
        }
        for part in parts {
            send(&on_event, Packed(part))?;
        }
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

/// A stream message handed to the window as JSON bytes instead of a JSON string. The window
/// decodes bytes straight into its own types; a string it would first parse into JS objects and
/// then walk field by field, which took most of a second for a snapshot of 10,000 tenants.
pub struct Packed<T>(pub T);

impl<T: Serialize> IpcResponse for Packed<T> {
    fn body(self) -> tauri::Result<InvokeResponseBody> {
        Ok(InvokeResponseBody::Raw(serde_json::to_vec(&self.0)?))
    }
}

fn send<T: IpcResponse>(channel: &Channel<T>, event: T) -> Result<(), UiError> {
    channel.send(event).map_err(|err| UiError {
        kind: ErrorKind::Internal,
        message: "The window stopped listening for updates.".into(),
        detail: tenantry_core::error::chain(&err),
    })
}
