//! Clusters as listed from the kubeconfig, and what a probe found out about each.

use serde::{Deserialize, Serialize};

use crate::UiError;

/// One context of the user's kubeconfig, shown as one cluster row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterRow {
    /// Context name; unique within the merged kubeconfig and the row's key.
    pub context: String,
    /// Name of the kubeconfig cluster entry the context points to.
    pub cluster: String,
    /// API server URL, when the context resolves to one.
    pub server: Option<String>,
    /// Name of the kubeconfig user entry (identity) the context uses.
    pub user: String,
    /// Default namespace of the context, if any.
    pub namespace: Option<String>,
    /// Whether this is the kubeconfig's current context.
    pub current: bool,
    /// Whether the cluster was added in Tenantry (token in the OS keyring), not in the kubeconfig.
    pub added: bool,
    /// Whether the user (or the default) chose this context for the fleet.
    pub chosen: bool,
    /// The context the fleet watches this context's API server through, when it is another one
    /// (an admin and a help-desk identity on one server).
    pub watched_through: Option<String>,
    /// How the context authenticates and how its credential stands.
    pub credential: Credential,
    /// The user's groups the context is in, by name.
    pub groups: Vec<String>,
    /// What is known about the cluster's reachability.
    pub probe: Probe,
}

/// How a context authenticates, for the credentials board.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Credential {
    /// The method in words, e.g. "exec plugin aws", "token", "client certificate".
    pub method: String,
    /// When the credential expires (RFC 3339), when that is known.
    pub expires: Option<String>,
    /// How it stands now.
    pub state: CredentialState,
    /// Whether a person can sign in for it (an exec plugin that may interact).
    pub can_sign_in: bool,
}

/// How a credential stands.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CredentialState {
    /// Written in the kubeconfig (or the keyring): nothing to issue.
    #[default]
    Written,
    /// Issued by a plugin that has not run in this process yet.
    NotIssued,
    /// Issued by a plugin and held.
    Issued,
    /// Past its expiry.
    Expired,
    /// A person must sign in first.
    NeedsSignIn,
    /// Nothing was issued (a plugin's run or an OIDC renewal failed); the error says why.
    Failed {
        /// Why: in a few words (`message`) and in full (`detail`).
        error: UiError,
    },
}

/// One probe's outcome with the credential as it stands after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeResult {
    /// The context probed.
    pub context: String,
    /// What the probe found.
    pub probe: Probe,
    /// The context's credential after the probe.
    pub credential: Credential,
}

/// One line of a sign-in, streamed from the credential plugin to the sign-in view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SignInEvent {
    /// A line the plugin wrote for the person (a URL, a device code); never stored.
    Line {
        /// The line.
        text: String,
    },
    /// The plugin issued a credential.
    Done {
        /// The credential as it stands now.
        credential: Credential,
    },
}

/// Reachability of one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Probe {
    /// A probe is under way.
    Probing,
    /// Not probed: the context is not watched and nobody asked to check it.
    Unchecked,
    /// The API server answered `/version` with these credentials.
    Reachable {
        /// Kubernetes version reported by the API server, e.g. `v1.33.13`.
        version: String,
        /// The user name the cluster knows us as, when it tells us.
        identity: Option<String>,
        /// Round-trip time of the probe in milliseconds.
        latency_ms: u64,
    },
    /// The cluster could not be used; the error says why.
    Failed {
        /// Why the probe failed.
        error: UiError,
    },
}

/// Where the cluster list came from, and what was wrong with it as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KubeconfigSummary {
    /// Files that were read, in merge order.
    pub files: Vec<String>,
    /// Problems that prevent loading the kubeconfig at all (then there are no rows).
    pub error: Option<UiError>,
}

/// One message on the cluster stream from the backend to the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ClusterEvent {
    /// The kubeconfig was (re)loaded: the full list of rows, probes still running.
    Listed {
        /// Where the rows came from.
        kubeconfig: KubeconfigSummary,
        /// One row per context, in name order.
        clusters: Vec<ClusterRow>,
    },
    /// A batch of probe results.
    Probed {
        /// The probes finished since the last batch.
        results: Vec<ProbeResult>,
    },
    /// Every probe has finished.
    Done,
}

/// A cluster to add by address and token, as the user typed it. It travels only from the window
/// to the backend; the token goes to the OS keyring and is never sent back.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCluster {
    /// The name to list it under (a DNS-1123 label).
    pub name: String,
    /// The API server's `https://` URL.
    pub server: String,
    /// The certificate authority as PEM; empty trusts the system's roots.
    pub certificate_authority: String,
    /// A bearer token (e.g. a ServiceAccount token).
    pub token: String,
}

impl std::fmt::Debug for NewCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCluster")
            .field("name", &self.name)
            .field("server", &self.server)
            .field("certificate_authority", &self.certificate_authority)
            .field("token", &"[hidden]")
            .finish()
    }
}

/// A cluster that was added: what it answered and where its token is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddedClusterReport {
    /// The name it is listed under.
    pub name: String,
    /// The API server URL.
    pub server: String,
    /// Kubernetes version, e.g. `v1.33.13`.
    pub version: String,
    /// Who the token authenticates as, if the cluster says.
    pub identity: Option<String>,
    /// The keyring holding the token, e.g. "kernel keyring".
    pub keyring: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_serializes_with_a_state_tag() {
        let probe = Probe::Reachable { version: "v1.33.13".into(), identity: Some("admin".into()), latency_ms: 4 };
        let json = serde_json::to_value(&probe).expect("serializes");
        assert_eq!(json["state"], "reachable");
        assert_eq!(serde_json::from_value::<Probe>(json).expect("round-trips"), probe);
    }

    #[test]
    fn a_new_cluster_never_prints_its_token() {
        let request = NewCluster {
            name: "prod".into(),
            server: "https://k8s".into(),
            certificate_authority: String::new(),
            token: "s3cret".into(),
        };
        assert!(!format!("{request:?}").contains("s3cret"));
    }
}
