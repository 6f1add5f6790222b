//! Several local clusters side by side, one kubeconfig for all of them (an admin and a
//! help-desk context per cluster), and the state file that lets `testenv down` stop them later.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::binaries::Binaries;
use crate::cluster::LocalCluster;
use crate::{Error, Result, identity, process};

/// Name of the state file in the fleet folder.
const STATE_FILE: &str = "state.json";

/// Running local clusters and the kubeconfig that reaches them. Dropping it stops them all.
#[derive(Debug)]
pub struct Fleet {
    /// The fleet's folder (one sub-folder per cluster).
    pub dir: PathBuf,
    /// The clusters, in the order they were named.
    pub clusters: Vec<LocalCluster>,
    /// Help-desk token of each cluster, in the same order.
    pub helpdesk_tokens: Vec<String>,
    /// The kubeconfig with both contexts of every cluster.
    pub kubeconfig: PathBuf,
    binaries: Binaries,
}

/// What `testenv up` leaves behind for `testenv down`.
#[derive(Debug, Serialize, Deserialize)]
pub struct State {
    /// The kubeconfig of the fleet.
    pub kubeconfig: PathBuf,
    /// Folder of the binaries; only processes running from here are stopped.
    pub binaries: PathBuf,
    /// The clusters and their process ids.
    pub clusters: Vec<ClusterState>,
}

/// One detached cluster.
#[derive(Debug, Serialize, Deserialize)]
pub struct ClusterState {
    /// Cluster name.
    pub name: String,
    /// API server URL.
    pub server: String,
    /// Process ids, newest first (the order to stop them in).
    pub pids: Vec<u32>,
}

/// What a cluster's name is followed by in its help-desk context's name.
pub const HELPDESK_SUFFIX: &str = "-helpdesk";

/// The help-desk context name of cluster `name`; the admin context is `name` itself.
pub fn helpdesk_context(name: &str) -> String {
    format!("{name}{HELPDESK_SUFFIX}")
}

impl Fleet {
    /// Starts one cluster per name in `dir`, concurrently, and writes `dir/kubeconfig`.
    pub async fn start(dir: &Path, names: &[String]) -> Result<Self> {
        let binaries = tokio::task::spawn_blocking(Binaries::ensure)
            .await
            .map_err(|e| Error::Build(format!("the build task failed: {e}")))??;
        let dirs: Vec<PathBuf> = names.iter().map(|name| dir.join(name)).collect();
        let starts =
            names.iter().zip(&dirs).map(|(name, cluster_dir)| LocalCluster::start(&binaries, name, cluster_dir));
        let clusters = futures::future::try_join_all(starts).await?;
        let mut helpdesk_tokens = Vec::new();
        for cluster in &clusters {
            helpdesk_tokens.push(identity::create_helpdesk(&cluster.admin_client().await?).await?);
        }
        let kubeconfig = dir.join("kubeconfig");
        let fleet = Self { dir: dir.to_owned(), clusters, helpdesk_tokens, kubeconfig, binaries };
        std::fs::write(&fleet.kubeconfig, fleet.kubeconfig_yaml())
            .map_err(crate::error::io(format!("cannot write {}", fleet.kubeconfig.display())))?;
        Ok(fleet)
    }

    /// The fleet's kubeconfig: cluster `local-1` has contexts `local-1` (admin) and
    /// `local-1-helpdesk`; the first cluster's admin context is current.
    pub fn kubeconfig_yaml(&self) -> String {
        let mut clusters = String::new();
        let mut users = String::new();
        let mut contexts = String::new();
        for (cluster, helpdesk_token) in self.clusters.iter().zip(&self.helpdesk_tokens) {
            let name = &cluster.name;
            let ca = base64::engine::general_purpose::STANDARD.encode(&cluster.ca_pem);
            clusters.push_str(&format!(
                "- name: {name}\n  cluster:\n    server: {}\n    certificate-authority-data: {ca}\n",
                cluster.server
            ));
            users.push_str(&format!("- name: {name}-admin\n  user:\n    token: {}\n", cluster.admin_token));
            users.push_str(&format!("- name: {name}-helpdesk\n  user:\n    token: {helpdesk_token}\n"));
            contexts.push_str(&format!("- name: {name}\n  context:\n    cluster: {name}\n    user: {name}-admin\n"));
            contexts.push_str(&format!(
                "- name: {}\n  context:\n    cluster: {name}\n    user: {name}-helpdesk\n",
                helpdesk_context(name)
            ));
        }
        let current = self.clusters.first().map(|c| c.name.as_str()).unwrap_or_default();
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: {current}\nclusters:\n{clusters}users:\n{users}contexts:\n{contexts}"
        )
    }

    /// Leaves the clusters running and records them in `dir/state.json` for [`down`].
    pub fn detach(self) -> Result<State> {
        let Self { dir, clusters, kubeconfig, binaries, .. } = self;
        let state = State {
            kubeconfig,
            binaries: binaries.dir().to_owned(),
            clusters: clusters
                .into_iter()
                .map(|cluster| ClusterState {
                    name: cluster.name.clone(),
                    server: cluster.server.clone(),
                    pids: cluster.detach(),
                })
                .collect(),
        };
        let json = serde_json::to_string_pretty(&state)
            .map_err(|e| Error::Encoding { what: "the state file".into(), source: Box::new(e) })?;
        std::fs::write(dir.join(STATE_FILE), json).map_err(crate::error::io("cannot write the state file"))?;
        Ok(state)
    }
}

/// Reads the state of the clusters started in `dir` by `testenv up`.
pub fn read_state(dir: &Path) -> Result<State> {
    let path = dir.join(STATE_FILE);
    let text = std::fs::read_to_string(&path).map_err(|_| Error::NoState { path: path.clone() })?;
    serde_json::from_str(&text).map_err(|e| Error::Encoding { what: path.display().to_string(), source: Box::new(e) })
}

/// Stops the clusters recorded in `dir`, removes the state file; returns how many processes
/// were stopped. Only processes still running a binary of the fleet are signalled.
pub fn down(dir: &Path) -> Result<usize> {
    let state = read_state(dir)?;
    let mut stopped = 0;
    for cluster in &state.clusters {
        for &pid in &cluster.pids {
            if process::runs_from(pid, &state.binaries) {
                process::terminate(pid);
                stopped += 1;
            }
        }
    }
    std::fs::remove_file(dir.join(STATE_FILE)).map_err(crate::error::io("cannot remove the state file"))?;
    Ok(stopped)
}
