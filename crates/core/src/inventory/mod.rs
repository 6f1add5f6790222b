//! The tenant inventory of one cluster, kept current by watches: reflector stores of tenant
//! Namespaces, Tenantry's Deployments, tenant Pods, backup Jobs, CronJobs, HPAs, Ingresses and
//! Warning Events (each decoded into a slim type holding only what is read), from which
//! [`ClusterInventory::summaries`] derives one [`TenantSummary`] per tenant.

mod connection;
mod facts;
mod objects;
mod watch;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use kube::{Api, ResourceExt as _};
use tenantry_model::{ClusterStatus, TenantDetail, TenantSpec, TenantSummary};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use connection::Connection;
use objects::{
    AppDeployment, Autoscaler, BackupJob, BackupSchedule, ClusterEvent, TenantIngress, TenantNamespace, TenantPod,
};
use watch::Reporting;

use crate::kubeconfig::{ContextEntry, ContextError};
use crate::labels::{APP_LABEL, BACKUP_LABEL, REVISION_ANNOTATION, SPEC_ANNOTATION, TENANT_LABEL, managed_selector};
use crate::status::{self, AppFacts, PodFacts};
use crate::tenancy::{Candidate, FieldSource, FieldSources, TenancyRules, Verdict};

/// Warning events shown per tenant, newest first.
const EVENTS_SHOWN: usize = 20;

/// Why a cluster's inventory cannot be watched.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// The context is broken; fix the kubeconfig.
    #[error(transparent)]
    Context(#[from] ContextError),
    /// No client could be built from the context (TLS material, auth plugin).
    #[error("cannot build a client for context {context}")]
    Client {
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
            InventoryError::Client { .. } => crate::error::ui(
                tenantry_model::ErrorKind::BadKubeconfig,
                "The connection settings of this context cannot be used (certificate, key or auth plugin).",
                err,
            ),
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
    namespaces: Store<TenantNamespace>,
    deployments: Store<AppDeployment>,
    pods: Store<TenantPod>,
    jobs: Store<BackupJob>,
    cronjobs: Store<BackupSchedule>,
    autoscalers: Store<Autoscaler>,
    ingresses: Store<TenantIngress>,
    events: Store<ClusterEvent>,
    connection: Arc<Connection>,
    changed: Arc<Notify>,
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
        let config = entry.client_config().await?;
        let client = kube::Client::try_from(config)
            .map_err(|source| InventoryError::Client { context: entry.name.clone(), source })?;
        let reporting =
            Reporting { connection: Arc::new(Connection::new(&entry.name)), changed: Arc::new(Notify::new()) };
        let tenants = || watcher::Config::default().labels(TENANT_LABEL);
        let managed_selector = managed_selector();
        let managed = || watcher::Config::default().labels(&managed_selector);
        let mut watches = Vec::new();
        macro_rules! watch {
            ($kind:ty, $name:literal, $what:literal, $essential:literal, $config:expr, $after:expr) => {{
                reporting.connection.register($name, $what, $essential);
                let api = Api::all(client.clone());
                let (store, task) = watch::spawn::<$kind>($name, api, $config, &reporting, $after);
                watches.push(task);
                store
            }};
        }
        let now = || futures::future::ready(());
        // Tenantry's own rule selects by label on the server; other rules look at every namespace.
        let namespace_config = if rules.is_default() { tenants() } else { watcher::Config::default() };
        let namespaces = watch!(TenantNamespace, "Namespace", "Tenants", true, namespace_config, now());
        let deployments = watch!(AppDeployment, "Deployment", "Deployments", true, managed(), now());
        let pods = watch!(TenantPod, "Pod", "Pods", true, tenants(), now());
        // The other kinds fill in the details; they list once the tenant list's own kinds have,
        // so that they never slow a cluster's first listing down.
        let after_listing = || reporting.connection.first_listing();
        let backups = || watcher::Config::default().labels(BACKUP_LABEL);
        let jobs = watch!(BackupJob, "Job", "Backups", false, backups(), after_listing());
        let cronjobs = watch!(BackupSchedule, "CronJob", "Backup schedules", false, managed(), after_listing());
        let autoscalers =
            watch!(Autoscaler, "HorizontalPodAutoscaler", "Autoscalers", false, managed(), after_listing());
        let ingresses = watch!(TenantIngress, "Ingress", "Ingresses", false, managed(), after_listing());
        let warnings = || watcher::Config::default().fields("type=Warning");
        let events = watch!(ClusterEvent, "Event", "Warning events", false, warnings(), after_listing());
        watches.push(tokio::spawn(heartbeat(
            client,
            Arc::clone(&reporting.connection),
            Arc::clone(&reporting.changed),
        )));
        Ok(Self {
            context: entry.name.clone(),
            rules,
            namespaces,
            deployments,
            pods,
            jobs,
            cronjobs,
            autoscalers,
            ingresses,
            events,
            connection: reporting.connection,
            changed: reporting.changed,
            watches,
        })
    }

    /// Starts the watches and waits up to `timeout` for their first complete listing.
    pub async fn start_synced(entry: &ContextEntry, timeout: Duration) -> Result<Self, InventoryError> {
        let inventory = Self::start(entry).await?;
        inventory.synced(timeout).await?;
        Ok(inventory)
    }

    /// Waits until the stores the tenant list needs (namespaces, deployments, pods) hold their
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

    /// One live summary per tenant namespace in the store, sorted by id.
    pub fn summaries(&self) -> Vec<TenantSummary> {
        let mut apps: HashMap<String, AppFacts> = HashMap::new();
        for deployment in self.deployments.state() {
            if is_app(deployment.labels()) {
                apps.insert(deployment.namespace().unwrap_or_default(), facts::app_facts(&deployment));
            }
        }
        let mut pods: HashMap<String, Vec<PodFacts>> = HashMap::new();
        for pod in self.pods.state().iter().filter(|pod| is_app(pod.labels())) {
            pods.entry(pod.namespace().unwrap_or_default()).or_default().push(facts::pod_facts(pod));
        }
        let mut backups: HashMap<String, tenantry_model::BackupRun> = HashMap::new();
        for run in self.jobs.state().iter().filter_map(|job| Some((job.namespace()?, facts::backup_run(job)?))) {
            let newest = backups.entry(run.0).or_insert_with(|| run.1.clone());
            if run.1.started > newest.started {
                *newest = run.1;
            }
        }
        let mut warnings: HashMap<String, u32> = HashMap::new();
        for event in self.events.state() {
            *warnings.entry(event.namespace().unwrap_or_default()).or_default() += 1;
        }
        let mut summaries: Vec<TenantSummary> = self
            .namespaces
            .state()
            .iter()
            .filter_map(|ns| {
                let name = ns.name_any();
                let candidate = Candidate { cluster: &self.context, name: &name, labels: ns.labels() };
                let Verdict::Tenant { rule, alias } = self.rules.verdict(candidate) else { return None };
                let read = Fallback { sources: self.rules.fields(rule), alias: alias.as_deref() };
                let mut summary = summarize(&self.context, ns, apps.get(&name), pods.get(&name), &read);
                summary.last_backup = backups.remove(&name);
                summary.warnings = warnings.get(&name).copied().unwrap_or(0);
                Some(summary)
            })
            .collect();
        summaries.sort_by(|a, b| a.id.cmp(&b.id));
        summaries
    }

    /// The spec annotation of tenant `id` as stored (JSON) with its revision.
    pub fn spec_text(&self, id: &str) -> Option<(u64, String)> {
        let ns = self.namespaces.get(&ObjectRef::new(id))?;
        let spec = ns.annotations().get(SPEC_ANNOTATION)?.clone();
        Some((revision(&ns), spec))
    }

    /// The detail of `tenant` (its row as the fleet shows it) from this cluster's stores, without
    /// its health history, which the cache keeps.
    pub fn detail(&self, tenant: TenantSummary) -> TenantDetail {
        let id = tenant.id.clone();
        let id = id.as_str();
        let in_tenant = |namespace: Option<String>| namespace.as_deref() == Some(id);
        let mut pods: Vec<_> = self
            .pods
            .state()
            .iter()
            .filter(|p| in_tenant(p.namespace()) && is_app(p.labels()))
            .map(|p| facts::pod_summary(p))
            .collect();
        pods.sort_by(|a, b| a.name.cmp(&b.name));
        let mut events: Vec<_> =
            self.events.state().iter().filter(|e| in_tenant(e.namespace())).map(|e| facts::warning_event(e)).collect();
        events.sort_by(|a, b| b.last_seen.cmp(&a.last_seen));
        events.truncate(EVENTS_SHOWN);
        let mut backups: Vec<_> = self
            .jobs
            .state()
            .iter()
            .filter(|j| in_tenant(j.namespace()))
            .filter_map(|j| facts::backup_run(j))
            .collect();
        backups.sort_by(|a, b| b.started.cmp(&a.started));
        let backup_schedule = self
            .cronjobs
            .state()
            .iter()
            .find(|c| in_tenant(c.namespace()))
            .and_then(|c| c.spec.as_ref().map(|s| s.schedule.clone()));
        let mut ingress_hosts: Vec<String> = self
            .ingresses
            .state()
            .iter()
            .filter(|i| in_tenant(i.namespace()))
            .flat_map(|i| facts::ingress_hosts(i))
            .collect();
        ingress_hosts.sort();
        let autoscaling = self
            .autoscalers
            .state()
            .iter()
            .find(|h| in_tenant(h.namespace()))
            .and_then(|h| facts::autoscaling_bounds(h));
        TenantDetail { tenant, pods, events, backups, backup_schedule, ingress_hosts, autoscaling, history: Vec::new() }
    }
}

impl Drop for ClusterInventory {
    fn drop(&mut self) {
        for watch in &self.watches {
            watch.abort();
        }
    }
}

fn is_app(labels: &std::collections::BTreeMap<String, String>) -> bool {
    labels.get(APP_LABEL.0).map(String::as_str) == Some(APP_LABEL.1)
}

fn revision(ns: &TenantNamespace) -> u64 {
    ns.annotations().get(REVISION_ANNOTATION).and_then(|r| r.parse().ok()).unwrap_or(0)
}

/// Where a tenant's fields come from when its spec does not give them.
struct Fallback<'a> {
    /// The labels and annotations the tenancy rule names.
    sources: Option<&'a FieldSources>,
    /// The rule's display alias.
    alias: Option<&'a str>,
}

impl Fallback<'_> {
    /// `from_spec`, or else what `source` reads on `ns`.
    fn field(
        &self,
        from_spec: String,
        ns: &TenantNamespace,
        source: impl Fn(&FieldSources) -> Option<&FieldSource>,
    ) -> String {
        if !from_spec.is_empty() {
            return from_spec;
        }
        let read = self.sources.and_then(source).and_then(|source| match source {
            FieldSource::Label(key) => ns.labels().get(key),
            FieldSource::Annotation(key) => ns.annotations().get(key),
        });
        read.cloned().unwrap_or_default()
    }
}

fn summarize(
    context: &str,
    ns: &TenantNamespace,
    app: Option<&AppFacts>,
    pods: Option<&Vec<PodFacts>>,
    fallback: &Fallback<'_>,
) -> TenantSummary {
    let spec: Option<TenantSpec> =
        ns.annotations().get(SPEC_ANNOTATION).and_then(|json| serde_json::from_str(json).ok());
    let pods = pods.map(Vec::as_slice).unwrap_or_default();
    let (health, reason) = status::health(spec.as_ref(), app, pods);
    let spec = spec.unwrap_or_default();
    let mut display_name = fallback.field(spec.display_name, ns, |s| s.display_name.as_ref());
    if display_name.is_empty() {
        display_name = fallback.alias.unwrap_or_default().to_owned();
    }
    TenantSummary {
        id: ns.name_any(),
        cluster: context.to_owned(),
        display_name,
        customer: fallback.field(spec.customer, ns, |s| s.customer.as_ref()),
        domains: spec.domains,
        blueprint: spec.blueprint,
        version: spec.version,
        plan: fallback.field(spec.plan, ns, |s| s.plan.as_ref()),
        health,
        reason,
        ready: app.map_or(0, |a| a.ready),
        desired: app.map_or(0, |a| a.desired),
        restarts: pods.iter().map(|p| p.restarts).sum(),
        revision: revision(ns),
        created: ns.metadata.creation_timestamp.as_ref().map(|t| t.0.to_string()),
        last_backup: None,
        last_change: facts::last_change(ns),
        warnings: 0,
        freshness: tenantry_model::Freshness::Live,
    }
}
