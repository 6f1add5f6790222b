//! The tenant inventory of one cluster, kept current by watches: reflector stores of tenant
//! Namespaces, every Deployment, StatefulSet, Pod, CronJob and Ingress, backup Jobs, Tenantry's
//! HPAs and Warning Events (each decoded into a slim type holding only what is read), from which
//! [`ClusterInventory::summaries`] derives one [`TenantSummary`] per namespace the tenancy rules
//! make a tenant.

mod connection;
pub mod drift_sweep;
mod facts;
pub mod first_listings;
mod index;
mod list;
mod list_body;
mod objects;
mod store;
mod summary;
pub mod touched;
mod watch;
mod workloads;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use kube::Api;
use tenantry_model::{ClusterStatus, TenantDetail, TenantSummary};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use connection::Connection;
use first_listings::{FirstListings, Turn};
use index::{Index, Snapshot};
use objects::{
    Autoscaler, BackupJob, CapsuleTenant, ClusterEvent, TenantIngress, TenantNamespace, TenantPod, WatchedCronJob,
    WatchedDeployment, WatchedStatefulSet,
};
use store::{Keyed, Store};
use summary::{Rule, TenantView};
use touched::{Scope, Touched};
use watch::{Reporting, Selector};
pub use workloads::version_of as workload_version;

use crate::kubeconfig::{ContextEntry, ContextError};
use crate::labels::{BACKUP_LABEL, MANAGED_BY, SPEC_ANNOTATION, TENANT_LABEL, managed_selector};
use crate::tenancy::{Candidate, TenancyRules, Verdict};

/// Warning events shown per tenant, newest first.
const EVENTS_SHOWN: usize = 20;

/// Why a cluster's inventory cannot be watched.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// The context is broken; fix the kubeconfig.
    #[error(transparent)]
    Context(#[from] ContextError),
    /// A listing was refused or failed.
    #[error("cannot list the namespaces of context {context}")]
    Listing {
        /// The context.
        context: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// The first complete listing did not arrive in time: the cluster is slow, unreachable,
    /// or the identity may not list tenant namespaces.
    #[error("context {context}: the inventory did not sync within {} s", timeout.as_secs())]
    NotSynced {
        /// The context.
        context: String,
        /// How long we waited.
        timeout: Duration,
    },
}

impl InventoryError {
    /// The error as the user sees it: a cluster whose tenants cannot be watched.
    pub fn to_ui(&self) -> tenantry_model::UiError {
        let err = self;
        match err {
            InventoryError::Context(context) => context.to_ui(),
            InventoryError::Listing { source, .. } => crate::error::request_error_for_ui(source, err),
            InventoryError::NotSynced { .. } => crate::error::ui(
                tenantry_model::ErrorKind::Unreachable,
                "The cluster's tenants could not be listed in time; it may be down, or this identity may not list namespaces.",
                err,
            ),
        }
    }
}

/// Asks the cluster behind `client` whether it answers, for as long as the inventory lives:
/// after [`crate::heartbeat::MISSES`] misses in a row it is no longer live (its rows turn stale),
/// and it is live again as soon as it answers.
async fn heartbeat(client: kube::Client, connection: Arc<Connection>, changed: Arc<Notify>) {
    crate::heartbeat::follow(&client, |answering| {
        let moved =
            if answering { connection.answered() } else { connection.silenced(silence(crate::heartbeat::MISSES)) };
        if moved {
            tracing::warn!(context = %connection.context(), answering, "the cluster's heartbeat changed");
            changed.notify_one();
        }
        std::ops::ControlFlow::Continue(())
    })
    .await;
}

/// The error of a cluster that missed `misses` heartbeats in a row.
fn silence(misses: u32) -> tenantry_model::UiError {
    tenantry_model::UiError {
        kind: tenantry_model::ErrorKind::Unreachable,
        message: "The cluster stopped answering; its rows show the last state seen.".into(),
        detail: format!(
            "no answer to {misses} requests in a row within {} s each",
            crate::heartbeat::DEADLINE.as_secs()
        ),
    }
}

/// The watched inventory of one cluster; dropping it stops its watches.
pub struct ClusterInventory {
    /// The context the cluster is reached through.
    pub context: String,
    /// Which namespaces are tenants.
    rules: Arc<TenancyRules>,
    /// The client the watches share (and its credentials), for one-off listings.
    client: kube::Client,
    namespaces: Store<TenantNamespace>,
    deployments: Store<WatchedDeployment>,
    sets: Store<WatchedStatefulSet>,
    pods: Store<TenantPod>,
    jobs: Store<BackupJob>,
    cronjobs: Store<WatchedCronJob>,
    autoscalers: Store<Autoscaler>,
    ingresses: Store<TenantIngress>,
    capsule: Option<Store<CapsuleTenant>>,
    events: Store<ClusterEvent>,
    /// Tenants the background sweep found drifted, by namespace.
    drift: drift_sweep::DriftMarks,
    /// Asks the drift sweep to run now.
    sweep_again: Arc<Notify>,
    connection: Arc<Connection>,
    changed: Arc<Notify>,
    /// The namespaces whose rows changed since the last pass took them.
    touched: Arc<Touched>,
    watches: Vec<JoinHandle<()>>,
}

impl ClusterInventory {
    /// Starts the watches of `entry`'s cluster with Tenantry's own tenancy rule.
    pub async fn start(entry: &ContextEntry) -> Result<Self, InventoryError> {
        Self::start_with(entry, Arc::new(TenancyRules::default())).await
    }

    /// Starts the watches of `entry`'s cluster, its tenants being the namespaces `rules` make
    /// tenants; they reconnect with backoff on their own.
    pub async fn start_with(entry: &ContextEntry, rules: Arc<TenancyRules>) -> Result<Self, InventoryError> {
        Self::start_in(entry, rules, &FirstListings::default()).await
    }

    /// Starts the watches of `entry`'s cluster as one of a fleet's: its details list once
    /// `first_listings` are done.
    pub async fn start_in(
        entry: &ContextEntry,
        rules: Arc<TenancyRules>,
        first_listings: &FirstListings,
    ) -> Result<Self, InventoryError> {
        let client = entry.client().await?;
        let reporting = Reporting {
            connection: Arc::new(Connection::new(&entry.name)),
            changed: Arc::new(Notify::new()),
            touched: Arc::new(Touched::default()),
        };
        let entered = first_listings.enter();
        let tenants = || Selector::labels(TENANT_LABEL);
        let managed = || Selector::labels(&managed_selector());
        let mut watches = Vec::new();
        macro_rules! watch {
            ($kind:ty, $name:literal, $what:literal, $essential:literal, $config:expr, $after:expr) => {{
                reporting.connection.register($name, $what, $essential);
                let (store, task) = watch::spawn::<$kind>($name, client.clone(), $config, &reporting, $after);
                watches.push(task);
                store
            }};
        }
        let now = || futures::future::ready(Turn::default());
        // Tenantry's own rule selects by label on the server; other rules look at every namespace.
        let namespace_config = if rules.is_default() { tenants() } else { Selector::default() };
        let namespaces = watch!(TenantNamespace, "Namespace", "Tenants", true, namespace_config, now());
        // Every workload of a tenant counts, whoever made it, and other tools label neither their
        // workloads nor their pods: these kinds are watched in every namespace.
        let everything = Selector::default;
        let deployments = watch!(WatchedDeployment, "Deployment", "Deployments", true, everything(), now());
        // A help-desk identity may not list StatefulSets; the cluster is still live, with a note.
        let sets = watch!(WatchedStatefulSet, "StatefulSet", "StatefulSets", false, everything(), now());
        let pods = watch!(TenantPod, "Pod", "Pods", true, everything(), now());
        // A cluster that refuses or cannot be reached leaves the fleet's first listings at once.
        let answered = reporting.connection.first_answer();
        watches.push(tokio::spawn(async move {
            let _ = tokio::time::timeout(first_listings::BOUND, answered).await;
            drop(entered);
        }));
        // The other kinds fill in the details; they list once the tenant list's own kinds have,
        // here and on every cluster of the fleet, so that they never slow a first listing down.
        let after_listing = || first_listings.detail_turn(reporting.connection.first_listing());
        let backups = || Selector::labels(BACKUP_LABEL);
        let jobs = watch!(BackupJob, "Job", "Backups", false, backups(), after_listing());
        let cronjobs = watch!(WatchedCronJob, "CronJob", "CronJobs", false, everything(), after_listing());
        let autoscalers =
            watch!(Autoscaler, "HorizontalPodAutoscaler", "Autoscalers", false, managed(), after_listing());
        let ingresses = watch!(TenantIngress, "Ingress", "Ingresses", false, everything(), after_listing());
        // Capsule's Tenants name the customer of its namespaces, where a rule uses Capsule and
        // the cluster serves them.
        let capsule = if rules.uses_capsule() && serves_capsule(&client).await {
            Some(watch!(CapsuleTenant, "Tenant", "Capsule tenants", false, everything(), after_listing()))
        } else {
            None
        };
        let warnings = || Selector::fields("type=Warning");
        let events = watch!(ClusterEvent, "Event", "Warning events", false, warnings(), after_listing());
        let drift = drift_sweep::DriftMarks::default();
        let sweep_again = Arc::new(Notify::new());
        watches.push(tokio::spawn(drift_sweep::run(
            client.clone(),
            Arc::clone(&drift),
            Arc::clone(&reporting.changed),
            Arc::clone(&reporting.touched),
            Arc::clone(&sweep_again),
            first_listings.listed_everywhere(reporting.connection.first_listing()),
        )));
        watches.push(tokio::spawn(heartbeat(
            client.clone(),
            Arc::clone(&reporting.connection),
            Arc::clone(&reporting.changed),
        )));
        Ok(Self {
            context: entry.name.clone(),
            rules,
            client,
            namespaces,
            deployments,
            sets,
            pods,
            jobs,
            cronjobs,
            autoscalers,
            ingresses,
            capsule,
            events,
            drift,
            sweep_again,
            connection: reporting.connection,
            changed: reporting.changed,
            touched: reporting.touched,
            watches,
        })
    }

    /// Starts the watches and waits up to `timeout` for their first complete listing.
    pub async fn start_synced(entry: &ContextEntry, timeout: Duration) -> Result<Self, InventoryError> {
        let inventory = Self::start(entry).await?;
        inventory.synced(timeout).await?;
        Ok(inventory)
    }

    /// Waits until the stores the tenant list needs (namespaces, Deployments, pods) hold their
    /// first complete listing; the others fill in as they can.
    pub async fn synced(&self, timeout: Duration) -> Result<(), InventoryError> {
        let all = async {
            let _ = futures::join!(
                self.namespaces.wait_until_ready(),
                self.deployments.wait_until_ready(),
                self.pods.wait_until_ready()
            );
        };
        tokio::time::timeout(timeout, all)
            .await
            .map_err(|_| InventoryError::NotSynced { context: self.context.clone(), timeout })
    }

    /// Returns after the next event or error of any watch (one since the last call counts).
    pub async fn changed(&self) {
        self.changed.notified().await;
    }

    /// The cluster's connection now.
    pub fn status(&self) -> ClusterStatus {
        self.connection.status()
    }

    /// Whether every store the tenant list needs is current.
    pub fn is_live(&self) -> bool {
        self.connection.is_live()
    }

    /// The rows the watch events since the last call may have changed (every row's, the first
    /// time), forgotten here.
    pub fn take_touched(&self) -> Scope {
        self.touched.take()
    }

    /// One live summary per tenant namespace in the store, sorted by id.
    pub fn summaries(&self) -> Vec<TenantSummary> {
        self.rows(None)
    }

    /// The live summaries of those of `namespaces` that are tenants, sorted by id.
    pub fn summaries_in(&self, namespaces: &HashSet<String>) -> Vec<TenantSummary> {
        self.rows(Some(namespaces))
    }

    /// The summaries of every tenant namespace, or of those in `only`, sorted by id.
    fn rows(&self, only: Option<&HashSet<String>>) -> Vec<TenantSummary> {
        let kept = |namespace: Option<&str>| only.is_none_or(|names| namespace.is_some_and(|n| names.contains(n)));
        let snapshot = self.snapshot(&kept);
        let index = Index::new(&snapshot);
        let mut backups: HashMap<String, tenantry_model::BackupRun> = HashMap::new();
        let jobs = self.jobs.matching(|job| kept(job.metadata.namespace.as_deref()));
        for run in jobs.iter().filter_map(|job| Some((job.metadata.namespace.clone()?, facts::backup_run(job)?))) {
            let newest = backups.entry(run.0).or_insert_with(|| run.1.clone());
            if run.1.started > newest.started {
                *newest = run.1;
            }
        }
        let mut warnings: HashMap<String, u32> = HashMap::new();
        for event in self.events.matching(|event| kept(event.metadata.namespace.as_deref())) {
            *warnings.entry(event.metadata.namespace.clone().unwrap_or_default()).or_default() += 1;
        }
        let drift = self.drift.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        let namespaces = match only {
            None => self.namespaces.state(),
            Some(names) => names.iter().filter_map(|name| self.namespaces.get(None, name)).collect(),
        };
        let mut summaries: Vec<TenantSummary> = namespaces
            .iter()
            .filter_map(|ns| {
                let (mut summary, _) = self.summarize(&index, ns)?;
                summary.last_backup = backups.remove(&summary.id);
                summary.warnings = warnings.get(&summary.id).copied().unwrap_or(0);
                summary.drift = drift.get(&summary.id).cloned();
                Some(summary)
            })
            .collect();
        summaries.sort_by(|a, b| a.id.cmp(&b.id));
        summaries
    }

    /// The stores' contents tenants' rows are built from, of the namespaces `kept` keeps (one
    /// tenant's detail, or the rows a burst touched, need not index the whole cluster).
    fn snapshot(&self, kept: &dyn Fn(Option<&str>) -> bool) -> Snapshot {
        fn of<K: Keyed>(store: &Store<K>, kept: &dyn Fn(Option<&str>) -> bool) -> Vec<Arc<K>> {
            store.matching(|object| kept(object.location().0))
        }
        Snapshot {
            deployments: of(&self.deployments, kept),
            sets: of(&self.sets, kept),
            pods: of(&self.pods, kept),
            cronjobs: of(&self.cronjobs, kept),
            ingresses: of(&self.ingresses, kept),
            capsule: self.capsule.as_ref().map(Store::state),
        }
    }

    /// The row of `ns` and where its fields come from, if the tenancy rules make it a tenant.
    fn summarize(
        &self,
        index: &Index<'_>,
        ns: &TenantNamespace,
    ) -> Option<(TenantSummary, Vec<tenantry_model::FieldOrigin>)> {
        let (view, rule) = self.tenant_view(index, ns)?;
        Some(summary::summarize(&self.context, &view, &rule))
    }

    /// What `index` holds of `ns` and the rule that makes it a tenant, if one does.
    fn tenant_view<'i>(&self, index: &'i Index<'_>, ns: &'i TenantNamespace) -> Option<(TenantView<'i>, Rule<'_>)> {
        let candidate = Candidate { cluster: &self.context, name: &ns.metadata.name, labels: &ns.metadata.labels };
        let Verdict::Tenant { rule, alias } = self.rules.verdict(candidate) else { return None };
        let view = index.view(ns, self.rules.main_workload(rule));
        let default = self.rules.is_default();
        Some((view, Rule { number: rule, sources: self.rules.fields(rule), alias, default }))
    }

    /// Every namespace's name and labels, listed now through the watches' own client (so a
    /// credential plugin does not run again), within `timeout`.
    pub async fn namespaces(&self, timeout: Duration) -> Result<Vec<NamespaceLabels>, InventoryError> {
        list_namespaces(self.client.clone(), &self.context, timeout).await
    }

    /// Runs the background drift sweep now (after an action, or when a person checks a tenant)
    /// instead of at its next interval.
    pub fn recheck_drift(&self) {
        self.sweep_again.notify_one();
    }

    /// The client the watches share, for reads on the user's behalf (a tenant's logs).
    pub fn client(&self) -> kube::Client {
        self.client.clone()
    }

    /// The spec annotation of tenant `id` as stored (JSON) with its revision.
    pub fn spec_text(&self, id: &str) -> Option<(u64, String)> {
        let ns = self.namespaces.get(None, id)?;
        let spec = ns.metadata.annotations.get(SPEC_ANNOTATION)?.to_owned();
        Some((summary::revision(&ns), spec))
    }

    /// The detail of `tenant` (its row as the fleet shows it) from this cluster's stores, without
    /// its health history, which the cache keeps.
    pub fn detail(&self, tenant: TenantSummary) -> TenantDetail {
        let mut detail = TenantDetail::row_only(tenant);
        let id = detail.tenant.id.clone();
        let id = id.as_str();
        let in_tenant = |namespace: &Option<String>| namespace.as_deref() == Some(id);
        let snapshot = self.snapshot(&|namespace| namespace == Some(id));
        let index = Index::new(&snapshot);
        let namespace = self.namespaces.get(None, id);
        if let Some((view, rule)) = namespace.as_deref().and_then(|ns| self.tenant_view(&index, ns)) {
            detail.workloads = summary::workload_rows(&view);
            detail.pods = view
                .workloads
                .iter()
                .zip(&view.pods)
                .flat_map(|(workload, pods)| pods.iter().map(|pod| facts::pod_summary(pod, Some(workload.name()))))
                .collect();
            detail.pods.sort_by(|a, b| a.name.cmp(&b.name));
            detail.field_sources = summary::summarize(&self.context, &view, &rule).1;
        }
        detail.events = self
            .events
            .matching(|e| in_tenant(&e.metadata.namespace))
            .iter()
            .map(|e| facts::warning_event(e))
            .collect();
        detail.events.sort_by(|a, b| b.last_seen.cmp(&a.last_seen));
        detail.events.truncate(EVENTS_SHOWN);
        detail.backups = self
            .jobs
            .matching(|j| in_tenant(&j.metadata.namespace))
            .iter()
            .filter_map(|j| facts::backup_run(j))
            .collect();
        detail.backups.sort_by(|a, b| b.started.cmp(&a.started));
        let cronjobs = &snapshot.cronjobs;
        let is_tenantrys = |c: &&Arc<WatchedCronJob>| c.metadata.labels.get(MANAGED_BY.0) == Some(MANAGED_BY.1);
        detail.backup_schedule = cronjobs
            .iter()
            .find(is_tenantrys)
            .or_else(|| cronjobs.iter().find(|c| c.metadata.name.contains("backup")))
            .and_then(|c| c.spec.as_ref().map(|s| s.schedule.clone()));
        detail.ingress_hosts = snapshot.ingresses.iter().flat_map(|i| facts::ingress_hosts(i)).collect();
        detail.ingress_hosts.sort();
        detail.autoscaling = self
            .autoscalers
            .state()
            .iter()
            .find(|h| in_tenant(&h.metadata.namespace))
            .and_then(|h| facts::autoscaling_bounds(h));
        detail
    }
}

/// Whether the cluster behind `client` serves Capsule's `Tenant`s (its CRD is installed).
async fn serves_capsule(client: &kube::Client) -> bool {
    let group = client.list_api_group_resources("capsule.clastix.io/v1beta2");
    match tokio::time::timeout(crate::heartbeat::DEADLINE, group).await {
        Ok(Ok(resources)) => resources.resources.iter().any(|r| r.name == "tenants"),
        _ => false,
    }
}

/// A namespace's name and labels.
pub type NamespaceLabels = (String, std::collections::BTreeMap<String, String>);

/// The names and labels of every namespace of `entry`'s cluster (one metadata listing, within
/// `timeout`) over a client of its own, for a cluster whose inventory did not start.
pub async fn namespaces(entry: &ContextEntry, timeout: Duration) -> Result<Vec<NamespaceLabels>, InventoryError> {
    let client = entry.client().await?;
    list_namespaces(client, &entry.name, timeout).await
}

/// Every namespace's name and labels through `client`, within `timeout`.
async fn list_namespaces(
    client: kube::Client,
    context: &str,
    timeout: Duration,
) -> Result<Vec<NamespaceLabels>, InventoryError> {
    let api = Api::<k8s_openapi::api::core::v1::Namespace>::all(client);
    let listed = tokio::time::timeout(timeout, api.list_metadata(&kube::api::ListParams::default()))
        .await
        .map_err(|_| InventoryError::NotSynced { context: context.to_owned(), timeout })?
        .map_err(|source| InventoryError::Listing { context: context.to_owned(), source })?;
    Ok(listed
        .items
        .into_iter()
        .map(|ns| (ns.metadata.name.unwrap_or_default(), ns.metadata.labels.unwrap_or_default()))
        .collect())
}

impl Drop for ClusterInventory {
    fn drop(&mut self) {
        for watch in &self.watches {
            watch.abort();
        }
    }
}
