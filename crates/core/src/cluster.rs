//! The clusters of the kubeconfig and their reachability: one entry per context, probed
//! concurrently with a timeout so that one slow cluster never delays the others.

use std::time::{Duration, Instant};

use futures::StreamExt as _;
use futures::stream::Stream;
use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use kube::api::PostParams;
use tenantry_model::{ClusterRow, KubeconfigSummary, Probe, ProbeResult};
use tracing::Instrument as _;

use crate::cluster_groups::ClusterGroups;
use crate::kubeconfig::{ContextEntry, ContextError, Kubeconfig, Sources};
use crate::watch_choice::WatchChoice;

/// How long a probe may take before the cluster counts as unreachable.
pub const DEFAULT_PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// How many probes run at once: a kubeconfig of hundreds of contexts, most unreachable, never
/// opens hundreds of connections or starts hundreds of plugins together.
pub const PROBE_CONCURRENCY: usize = 16;

/// What a successful probe found out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeReport {
    /// Kubernetes version, e.g. `v1.33.13`.
    pub version: String,
    /// The user name the cluster authenticated us as (SelfSubjectReview), if it says.
    pub identity: Option<String>,
    /// Round trip of the version request.
    pub latency: Duration,
}

/// Why a cluster could not be probed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The context itself is broken; fix the kubeconfig.
    #[error(transparent)]
    Context(#[from] ContextError),
    /// The cluster did not answer in time: it is down, or the network path is blocked.
    #[error("no answer within {} s", .0.as_secs())]
    Timeout(Duration),
    /// The request failed: refused connection, TLS, rejected credentials, or an API error.
    #[error("the version request failed")]
    Request(#[source] kube::Error),
}

/// The clusters of one loaded kubeconfig.
#[derive(Debug)]
pub struct ClusterList {
    /// Where the list came from and whether it could be loaded.
    pub summary: KubeconfigSummary,
    /// One entry per context, sorted by name.
    pub entries: Vec<ContextEntry>,
    /// Which contexts the user chose for the fleet.
    pub choice: WatchChoice,
    /// The user's groups of clusters.
    pub groups: ClusterGroups,
}

impl ClusterList {
    /// Loads the kubeconfig from `sources`, with the user's watch choice and groups as the
    /// config folder holds them now; a broken kubeconfig yields an empty list and an error.
    pub fn load(sources: &Sources) -> Self {
        let (summary, entries) = match Kubeconfig::load(sources) {
            Ok(kubeconfig) => (
                KubeconfigSummary {
                    files: kubeconfig.files.iter().map(|p| p.display().to_string()).collect(),
                    error: None,
                },
                kubeconfig.contexts(),
            ),
            Err(err) => {
                tracing::warn!(error = %crate::error::chain(&err), "kubeconfig cannot be loaded");
                let files = sources.files().iter().map(|p| p.display().to_string()).collect();
                (KubeconfigSummary { files, error: Some(err.to_ui()) }, Vec::new())
            }
        };
        Self {
            summary,
            entries,
            choice: WatchChoice::load(&crate::paths::watched_clusters_file()),
            groups: ClusterGroups::load(&crate::paths::cluster_groups_file()),
        }
    }

    /// Every context name in use (what a cluster being added may not be called).
    pub fn names(&self) -> Vec<String> {
        self.entries.iter().map(|e| e.name.clone()).collect()
    }

    /// The rows as the UI shows them before any probe has finished: broken contexts already
    /// carry their error, contexts nobody chose are left unchecked.
    pub fn rows(&self) -> Vec<ClusterRow> {
        let fleet = self.fleet();
        self.entries
            .iter()
            .map(|entry| {
                let chosen = self.chosen(entry);
                ClusterRow {
                    context: entry.name.clone(),
                    cluster: entry.cluster.clone(),
                    server: entry.server.clone().filter(|s| !s.is_empty()),
                    user: entry.user.clone(),
                    namespace: entry.namespace.clone(),
                    current: entry.current,
                    added: entry.is_added(),
                    chosen,
                    watched_through: fleet
                        .iter()
                        .find(|watched| watched.server == entry.server && watched.name != entry.name)
                        .map(|watched| watched.name.clone()),
                    credential: entry.credential(),
                    groups: self.groups.of(&entry.name),
                    probe: match &entry.problem {
                        Some(problem) => Probe::Failed { error: problem.to_ui() },
                        None if chosen => Probe::Probing,
                        None => Probe::Unchecked,
                    },
                }
            })
            .collect()
    }

    /// Whether the user (or the default) chose `entry` for the fleet.
    pub fn chosen(&self, entry: &ContextEntry) -> bool {
        self.choice.chosen(entry, self.entries.len())
    }

    /// The contexts the fleet watches: the chosen ones, one per API server (see [`WatchChoice::fleet`]).
    pub fn fleet(&self) -> Vec<&ContextEntry> {
        self.choice.fleet(&self.entries)
    }

    /// The contexts to watch: the one named `context`, else the fleet's.
    pub fn watched(&self, context: Option<&str>) -> Vec<&ContextEntry> {
        match context {
            Some(name) => self.entries.iter().filter(|e| e.name == name).collect(),
            None => self.fleet(),
        }
    }

    /// Probes the usable contexts `wanted` says yes to, [`PROBE_CONCURRENCY`] at a time; yields
    /// each result as it finishes, with the context's credential after it.
    pub fn probe_where(
        &self,
        wanted: impl Fn(&ContextEntry) -> bool,
        timeout: Duration,
    ) -> impl Stream<Item = ProbeResult> + Send + 'static {
        let entries: Vec<ContextEntry> =
            self.entries.iter().filter(|entry| entry.problem.is_none() && wanted(entry)).cloned().collect();
        futures::stream::iter(entries)
            .map(move |entry| async move {
                let outcome = probe(&entry, timeout).await;
                ProbeResult {
                    context: entry.name.clone(),
                    probe: probe_for_ui(&outcome),
                    credential: entry.credential(),
                }
            })
            .buffer_unordered(PROBE_CONCURRENCY)
    }

    /// Probes the chosen contexts (see [`Self::probe_where`]).
    pub fn probe_chosen(&self, timeout: Duration) -> impl Stream<Item = ProbeResult> + Send + 'static {
        self.probe_where(|entry| self.chosen(entry), timeout)
    }
}

/// Asks one cluster for its version and who we are, within `timeout`.
pub async fn probe(entry: &ContextEntry, timeout: Duration) -> Result<ProbeReport, ProbeError> {
    let span = tracing::debug_span!("probe", context = %entry.name);
    probe_in_span(entry, timeout).instrument(span).await
}

async fn probe_in_span(entry: &ContextEntry, timeout: Duration) -> Result<ProbeReport, ProbeError> {
    let request = async {
        let client = entry.client().await?;
        let started = Instant::now();
        let version = client.apiserver_version().await.map_err(ProbeError::Request)?;
        let latency = started.elapsed();
        let identity = identity(&client).await.map_err(ProbeError::Request)?;
        Ok(ProbeReport { version: version.git_version, identity, latency })
    };
    let outcome = tokio::time::timeout(timeout, request).await.map_err(|_| ProbeError::Timeout(timeout))?;
    match &outcome {
        Ok(report) => {
            tracing::debug!(version = %report.version, latency_ms = report.latency.as_millis() as u64, "reachable")
        }
        Err(err) => tracing::debug!(error = %crate::error::chain(err), "probe failed"),
    }
    outcome
}

/// The user name the cluster authenticates `client` as (SelfSubjectReview); `None` when the
/// identity may not ask or the cluster does not say.
pub async fn identity(client: &kube::Client) -> Result<Option<String>, kube::Error> {
    let review = kube::Api::<SelfSubjectReview>::all(client.clone())
        .create(&PostParams::default(), &SelfSubjectReview::default())
        .await;
    match review {
        Ok(review) => Ok(review.status.and_then(|s| s.user_info).and_then(|u| u.username)),
        Err(kube::Error::Api(status)) if status.code == 403 => Ok(None),
        Err(err) => Err(err),
    }
}

fn probe_for_ui(outcome: &Result<ProbeReport, ProbeError>) -> Probe {
    match outcome {
        Ok(report) => Probe::Reachable {
            version: report.version.clone(),
            identity: report.identity.clone(),
            latency_ms: u64::try_from(report.latency.as_millis()).unwrap_or(u64::MAX),
        },
        Err(err) => Probe::Failed { error: err.to_ui() },
    }
}

impl ProbeError {
    /// The error as the user sees it.
    pub fn to_ui(&self) -> tenantry_model::UiError {
        let err = self;
        match err {
            ProbeError::Context(context) => context.to_ui(),
            ProbeError::Timeout(timeout) => crate::error::ui(
                tenantry_model::ErrorKind::Unreachable,
                format!("The cluster did not answer within {} seconds.", timeout.as_secs()),
                err,
            ),
            ProbeError::Request(request) => crate::error::request_error_for_ui(request, err),
        }
    }
}
