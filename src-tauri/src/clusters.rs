//! The Tauri commands of the Clusters view beyond its listing: add and remove clusters reached
//! by address and token (the token travels from the window to the keyring and is never sent
//! back), choose which clusters the fleet watches, check any cluster on request, and sign in
//! through a credential plugin. The fleet follows each change at once.

use std::time::Duration;

use futures::StreamExt as _;
use tauri::State;
use tauri::ipc::Channel;
use tenantry_core::added_clusters::{self, AddClusterError, AddedClusters};
use tenantry_core::cluster::{ClusterList, DEFAULT_PROBE_TIMEOUT};
use tenantry_core::fleet::Fleet;
use tenantry_core::kubeconfig::Sources;
use tenantry_core::secrets::Keyring;
use tenantry_model::{AddedClusterReport, ClusterRow, ErrorKind, NewCluster, ProbeResult, SignInEvent, UiError};

/// How long the connection check of a cluster being added may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// Checks the connection with `request`'s token, stores the token in the OS keyring and the
/// cluster in Tenantry's list, and starts watching its tenants.
#[tauri::command]
pub async fn add_cluster(fleet: State<'_, Fleet>, request: NewCluster) -> Result<AddedClusterReport, UiError> {
    let list = ClusterList::load_with_added(&Sources::from_env());
    let path = tenantry_core::paths::added_clusters_file();
    let report = added_clusters::add(request, &list.names(), Keyring::system(), &path, CHECK_TIMEOUT)
        .await
        .map_err(|err| err.to_ui())?;
    let added = AddedClusters::load(&path).map_err(|err| AddClusterError::from(err).to_ui())?;
    if !added.entries().iter().any(|entry| entry.name == report.name) {
        return Ok(report);
    }
    // A cluster the user just added is one they want watched, unless its API server is watched
    // already through another context (whose identity stays the fleet's until the user picks).
    let mut list = ClusterList::load_with_added(&Sources::from_env());
    let server = list.entries.iter().find(|entry| entry.name == report.name).and_then(|entry| entry.server.clone());
    let server_watched = list.fleet().iter().any(|entry| entry.server == server && entry.name != report.name);
    if !server_watched {
        list.choice.set(&list.entries, std::slice::from_ref(&report.name), true);
        if let Err(err) = list.choice.save(&tenantry_core::paths::watched_clusters_file()) {
            tracing::warn!(error = %tenantry_core::error::chain(&err), "the added cluster's watch could not be remembered");
        }
    }
    fleet.follow(list.fleet().into_iter().cloned().collect());
    Ok(report)
}

/// Removes added cluster `name` and its token, and stops watching it.
#[tauri::command]
pub async fn remove_cluster(fleet: State<'_, Fleet>, name: String) -> Result<(), UiError> {
    added_clusters::remove(&name, Keyring::system(), &tenantry_core::paths::added_clusters_file())
        .map_err(|err| err.to_ui())?;
    fleet.unwatch(&name);
    Ok(())
}

/// Turns `contexts` on or off for the fleet, remembers the choice in the config folder, and
/// makes the fleet watch what is chosen now; returns the rows as they stand (unprobed).
#[tauri::command]
pub async fn set_watched(
    fleet: State<'_, Fleet>,
    contexts: Vec<String>,
    watch: bool,
) -> Result<Vec<ClusterRow>, UiError> {
    let mut list = ClusterList::load_with_added(&Sources::from_env());
    list.choice.set(&list.entries, &contexts, watch);
    list.choice.save(&tenantry_core::paths::watched_clusters_file()).map_err(|err| UiError {
        kind: ErrorKind::Internal,
        message: "The choice of watched clusters could not be saved in the config folder.".into(),
        detail: tenantry_core::error::chain(&err),
    })?;
    tracing::info!(contexts = contexts.len(), watch, "watched clusters chosen");
    fleet.follow(list.fleet().into_iter().cloned().collect());
    Ok(list.rows())
}

/// Probes `contexts` now, watched or not (the "Check" of a row or of a selection).
#[tauri::command]
pub async fn check_clusters(contexts: Vec<String>) -> Result<Vec<ProbeResult>, UiError> {
    let list = ClusterList::load_with_added(&Sources::from_env());
    Ok(list.probe_where(|entry| contexts.contains(&entry.name), DEFAULT_PROBE_TIMEOUT).collect().await)
}

/// Runs `context`'s credential plugin for the person at the window: each line it writes for
/// them (a URL, a device code) goes to `on_event` and nowhere else; once it has issued a
/// credential the fleet reconnects the cluster at once.
#[tauri::command]
pub async fn sign_in(fleet: State<'_, Fleet>, context: String, on_event: Channel<SignInEvent>) -> Result<(), UiError> {
    let list = ClusterList::load_with_added(&Sources::from_env());
    let Some(entry) = list.entries.iter().find(|entry| entry.name == context) else {
        return Err(UiError {
            kind: ErrorKind::BadKubeconfig,
            message: format!("The context {context} is no longer in the kubeconfig."),
            detail: String::new(),
        });
    };
    let Some(slot) = entry.credential_slot() else {
        return Err(UiError {
            kind: ErrorKind::Invalid,
            message: format!("The context {context} has no credential plugin to sign in with."),
            detail: String::new(),
        });
    };
    let (lines, mut shown) = tokio::sync::mpsc::unbounded_channel();
    let relay = {
        let on_event = on_event.clone();
        tokio::spawn(async move {
            while let Some(text) = shown.recv().await {
                let _ = on_event.send(SignInEvent::Line { text });
            }
        })
    };
    tracing::info!(context = %context, "sign-in started");
    let signed_in = slot.sign_in(lines).await;
    let _ = relay.await;
    signed_in.map_err(|err| UiError {
        kind: ErrorKind::Unauthorized,
        message: "The sign-in did not give a credential.".into(),
        detail: tenantry_core::error::chain(&err),
    })?;
    tracing::info!(context = %context, "signed in");
    if fleet.watched().contains(&context) {
        fleet.watch(entry.clone());
    }
    on_event.send(SignInEvent::Done { credential: entry.credential() }).map_err(|err| UiError {
        kind: ErrorKind::Internal,
        message: "The window stopped listening.".into(),
        detail: tenantry_core::error::chain(&err),
    })
}

/// Makes `contexts` group `name`'s clusters (none: the group goes), remembered in the config
/// folder; returns the rows as they stand (unprobed).
#[tauri::command]
pub async fn set_group(name: String, contexts: Vec<String>) -> Result<Vec<ClusterRow>, UiError> {
    let mut list = ClusterList::load_with_added(&Sources::from_env());
    list.groups.set(&name, &contexts).map_err(|err| err.to_ui())?;
    list.groups.save(&tenantry_core::paths::cluster_groups_file()).map_err(|err| err.to_ui())?;
    tracing::info!(group = %name, members = contexts.len(), "cluster group set");
    Ok(list.rows())
}
