//! The Tauri commands that add and remove clusters reached by address and token: the token
//! travels from the window to the keyring and is never sent back; the fleet starts or stops
//! watching the cluster at once.

use std::time::Duration;

use tauri::State;
use tenantry_core::added_clusters::{self, AddClusterError, AddedClusters};
use tenantry_core::cluster::ClusterList;
use tenantry_core::fleet::Fleet;
use tenantry_core::kubeconfig::Sources;
use tenantry_core::secrets::Keyring;
use tenantry_model::{AddedClusterReport, NewCluster, UiError};

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
    let Some(entry) = added.entries().into_iter().find(|entry| entry.name == report.name) else { return Ok(report) };
    // One watch per API server, as at start: a server already watched under another name
    // would list its tenants twice.
    let watched = fleet.watched();
    let server_watched = list.entries.iter().any(|e| e.server == entry.server && watched.contains(&e.name));
    if !server_watched {
        fleet.watch(entry);
    }
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
