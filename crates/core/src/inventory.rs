//! The tenant inventory of one cluster, kept current by watches: reflector stores of tenant
//! Namespaces, Tenantry's Deployments and tenant Pods (trimmed of managedFields), from which
//! [`ClusterInventory::summaries`] derives one [`TenantSummary`] per tenant and
//! [`changes`] publishes them as batched diffs.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt as _, watcher};
use kube::{Api, ResourceExt as _};
use tenantry_model::{FleetEvent, PodSummary, TenantChanges, TenantDetail, TenantSpec, TenantSummary};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::kubeconfig::{ContextEntry, ContextError};
use crate::status::{self, AppFacts, PodFacts};

/// Label on every tenant namespace (and everything Tenantry writes): the tenant id.
pub const TENANT_LABEL: &str = "tenantry.io/tenant";
/// Namespace annotation holding the tenant's spec as JSON.
pub const SPEC_ANNOTATION: &str = "tenantry.io/spec";
/// Namespace annotation counting spec changes.
pub const REVISION_ANNOTATION: &str = "tenantry.io/revision";
/// Label selecting objects Tenantry manages.
const MANAGED_SELECTOR: &str = "app.kubernetes.io/managed-by=tenantry";
/// Label naming a tenant's app Deployment.
const APP_LABEL: (&str, &str) = ("app.kubernetes.io/name", "app");

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

/// The watched inventory of one cluster; dropping it stops its watches.
pub struct ClusterInventory {
    /// The context the cluster is reached through.
    pub context: String,
    namespaces: Store<Namespace>,
    deployments: Store<Deployment>,
    pods: Store<Pod>,
    changed: Arc<Notify>,
    watches: Vec<JoinHandle<()>>,
}

impl ClusterInventory {
    /// Starts the watches of `entry`'s cluster; they reconnect with backoff on their own.
    pub async fn start(entry: &ContextEntry) -> Result<Self, InventoryError> {
        let config = entry.client_config().await?;
        let client = kube::Client::try_from(config)
            .map_err(|source| InventoryError::Client { context: entry.name.clone(), source })?;
        let context = entry.name.clone();
        let tenants = watcher::Config::default().labels(TENANT_LABEL);
        let managed = watcher::Config::default().labels(MANAGED_SELECTOR);
        let changed = Arc::new(Notify::new());
        let (namespaces, ns_watch) = watch(&context, &changed, Api::<Namespace>::all(client.clone()), tenants.clone());
        let (deployments, deploy_watch) = watch(&context, &changed, Api::<Deployment>::all(client.clone()), managed);
        let (pods, pod_watch) = watch(&context, &changed, Api::<Pod>::all(client), tenants);
        let watches = vec![ns_watch, deploy_watch, pod_watch];
        Ok(Self { context, namespaces, deployments, pods, changed, watches })
    }

    /// Starts the watches and waits up to `timeout` for their first complete listing.
    pub async fn start_synced(entry: &ContextEntry, timeout: Duration) -> Result<Self, InventoryError> {
        let inventory = Self::start(entry).await?;
        inventory.synced(timeout).await?;
        Ok(inventory)
    }

    /// Waits until every store holds its first complete listing.
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

    /// Returns after the next change to any store (changes since the last call count at once).
    pub async fn changed(&self) {
        self.changed.notified().await;
    }

    /// The pods of tenant `id`, sorted by name.
    pub fn pods_of(&self, id: &str) -> Vec<PodSummary> {
        let mut pods: Vec<PodSummary> = self
            .pods
            .state()
            .iter()
            .filter(|pod| pod.labels().get(TENANT_LABEL).map(String::as_str) == Some(id))
            .map(|pod| pod_summary(pod))
            .collect();
        pods.sort_by(|a, b| a.name.cmp(&b.name));
        pods
    }

    /// One summary per tenant namespace currently in the store, sorted by id.
    pub fn summaries(&self) -> Vec<TenantSummary> {
        let mut apps: HashMap<String, AppFacts> = HashMap::new();
        for deployment in self.deployments.state() {
            if deployment.labels().get(APP_LABEL.0).map(String::as_str) == Some(APP_LABEL.1) {
                apps.insert(deployment.namespace().unwrap_or_default(), app_facts(&deployment));
            }
        }
        let mut pods: HashMap<String, Vec<PodFacts>> = HashMap::new();
        for pod in self.pods.state() {
            pods.entry(pod.namespace().unwrap_or_default()).or_default().push(pod_facts(&pod));
        }
        let mut summaries: Vec<TenantSummary> = self
            .namespaces
            .state()
            .iter()
            .map(|ns| summarize(&self.context, ns, apps.get(&ns.name_any()), pods.get(&ns.name_any())))
            .collect();
        summaries.sort_by(|a, b| a.id.cmp(&b.id));
        summaries
    }
}

impl Drop for ClusterInventory {
    fn drop(&mut self) {
        for watch in &self.watches {
            watch.abort();
        }
    }
}

/// A reflector for `api`, driven by a spawned task that wakes `changed` on every event and
/// logs (and backs off from) errors.
fn watch<K>(context: &str, changed: &Arc<Notify>, api: Api<K>, config: watcher::Config) -> (Store<K>, JoinHandle<()>)
where
    K: kube::Resource<DynamicType = ()> + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + Sync + 'static,
{
    let (store, writer) = reflector::store();
    let context = context.to_owned();
    let changed = Arc::clone(changed);
    let stream = watcher(api, config)
        .default_backoff()
        .modify(|object: &mut K| object.managed_fields_mut().clear())
        .reflect(writer)
        .applied_objects();
    let task = tokio::spawn(async move {
        futures::pin_mut!(stream);
        while let Some(event) = stream.next().await {
            changed.notify_one();
            if let Err(err) = event {
                tracing::warn!(context = %context, kind = %K::kind(&()), error = %crate::error::chain(&err), "watch interrupted; retrying");
            }
        }
    });
    (store, task)
}

fn summarize(
    context: &str,
    ns: &Arc<Namespace>,
    app: Option<&AppFacts>,
    pods: Option<&Vec<PodFacts>>,
) -> TenantSummary {
    let annotations = ns.annotations();
    let spec: Option<TenantSpec> = annotations.get(SPEC_ANNOTATION).and_then(|json| serde_json::from_str(json).ok());
    let pods = pods.map(Vec::as_slice).unwrap_or_default();
    let (health, reason) = status::health(spec.as_ref(), app, pods);
    let spec = spec.unwrap_or_default();
    TenantSummary {
        id: ns.labels().get(TENANT_LABEL).cloned().unwrap_or_else(|| ns.name_any()),
        cluster: context.to_owned(),
        display_name: spec.display_name,
        customer: spec.customer,
        domains: spec.domains,
        blueprint: spec.blueprint,
        version: spec.version,
        plan: spec.plan,
        health,
        reason,
        ready: app.map_or(0, |a| a.ready),
        desired: app.map_or(0, |a| a.desired),
        restarts: pods.iter().map(|p| p.restarts).sum(),
        revision: annotations.get(REVISION_ANNOTATION).and_then(|r| r.parse().ok()).unwrap_or(0),
        created: ns.metadata.creation_timestamp.as_ref().map(|t| t.0.to_string()),
    }
}

fn app_facts(deployment: &Deployment) -> AppFacts {
    let status = deployment.status.clone().unwrap_or_default();
    let desired = deployment.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    AppFacts {
        desired,
        ready: status.ready_replicas.unwrap_or(0),
        updated: status.updated_replicas.unwrap_or(0),
        observed: status.observed_generation.unwrap_or(0) >= deployment.metadata.generation.unwrap_or(0),
    }
}

fn pod_summary(pod: &Pod) -> PodSummary {
    let status = pod.status.as_ref();
    let facts = pod_facts(pod);
    PodSummary {
        name: pod.name_any(),
        phase: status.and_then(|s| s.phase.clone()).unwrap_or_else(|| "Unknown".into()),
        ready: facts.ready,
        restarts: facts.restarts,
        node: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
        created: pod.metadata.creation_timestamp.as_ref().map(|t| t.0.to_string()),
    }
}

fn pod_facts(pod: &Pod) -> PodFacts {
    let status = pod.status.clone().unwrap_or_default();
    let conditions = status.conditions.unwrap_or_default();
    let containers = status.container_statuses.unwrap_or_default();
    PodFacts {
        ready: conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True"),
        pending: status.phase.as_deref() == Some("Pending"),
        restarts: containers.iter().map(|c| c.restart_count).sum(),
        unschedulable: conditions
            .iter()
            .any(|c| c.type_ == "PodScheduled" && c.status == "False" && c.reason.as_deref() == Some("Unschedulable")),
        waiting: containers.iter().find_map(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone()),
    }
}

/// Tenant `id` of `entry`'s cluster in detail, read once the cluster has synced (`None`: no
/// such tenant).
pub async fn tenant_detail(
    entry: &ContextEntry,
    id: &str,
    timeout: Duration,
) -> Result<Option<TenantDetail>, InventoryError> {
    let inventory = ClusterInventory::start_synced(entry, timeout).await?;
    let tenant = inventory.summaries().into_iter().find(|t| t.id == id);
    Ok(tenant.map(|tenant| TenantDetail { pods: inventory.pods_of(id), tenant }))
}

/// The inventory as a stream of batched diffs: first every tenant, then after each change (and
/// `batch` more time for further changes to arrive) what appeared, changed or disappeared.
pub fn changes(inventory: Arc<ClusterInventory>, batch: Duration) -> impl futures::Stream<Item = TenantChanges> {
    let state = (inventory, HashMap::<String, TenantSummary>::new(), true);
    futures::stream::unfold(state, move |(inventory, mut sent, first)| async move {
        if !first {
            inventory.changed().await;
            tokio::time::sleep(batch).await;
        }
        loop {
            let diff = diff(&inventory.context, &mut sent, inventory.summaries());
            if first || !diff.is_empty() {
                return Some((diff, (inventory, sent, false)));
            }
            inventory.changed().await;
            tokio::time::sleep(batch).await;
        }
    })
}

/// The tenant events of several clusters merged: first `Watching` with every context, then each
/// cluster starts and syncs on its own (so a slow or unreachable one delays no other) and sends
/// its tenants and their changes, or one `ClusterFailed` if it cannot be watched.
pub fn fleet_events(
    entries: Vec<ContextEntry>,
    sync_timeout: Duration,
    batch: Duration,
) -> impl futures::Stream<Item = FleetEvent> {
    let watching = FleetEvent::Watching { contexts: entries.iter().map(|e| e.name.clone()).collect() };
    let per_cluster = entries.into_iter().map(move |entry| {
        futures::stream::once(async move {
            (entry.name.clone(), ClusterInventory::start_synced(&entry, sync_timeout).await)
        })
        .flat_map(move |(context, started)| match started {
            Ok(inventory) => changes(Arc::new(inventory), batch).map(FleetEvent::Changes).boxed(),
            Err(err) => {
                tracing::warn!(context = %context, error = %crate::error::chain(&err), "tenants cannot be watched");
                let error = crate::error::inventory_error_for_ui(&err);
                futures::stream::once(async move { FleetEvent::ClusterFailed { context, error } }).boxed()
            }
        })
        .boxed()
    });
    futures::stream::once(async move { watching }).chain(futures::stream::select_all(per_cluster))
}

/// What changed between `sent` and `now`; `sent` becomes `now`.
fn diff(cluster: &str, sent: &mut HashMap<String, TenantSummary>, now: Vec<TenantSummary>) -> TenantChanges {
    let mut changes = TenantChanges { cluster: cluster.to_owned(), ..Default::default() };
    let now: HashMap<String, TenantSummary> = now.into_iter().map(|s| (s.id.clone(), s)).collect();
    for (id, summary) in &now {
        if sent.get(id) != Some(summary) {
            changes.upserted.push(summary.clone());
        }
    }
    for (id, summary) in sent.iter() {
        if !now.contains_key(id) {
            changes.removed.push((summary.cluster.clone(), id.clone()));
        }
    }
    changes.upserted.sort_by(|a, b| a.id.cmp(&b.id));
    changes.removed.sort();
    *sent = now;
    changes
}

#[cfg(test)]
mod tests {
    use tenantry_model::Health;

    use super::*;

    fn summary(id: &str, health: Health) -> TenantSummary {
        TenantSummary {
            id: id.into(),
            cluster: "c".into(),
            display_name: String::new(),
            customer: String::new(),
            domains: Vec::new(),
            blueprint: String::new(),
            version: String::new(),
            plan: String::new(),
            health,
            reason: String::new(),
            ready: 0,
            desired: 0,
            restarts: 0,
            revision: 1,
            created: None,
        }
    }

    #[test]
    fn diff_sends_only_what_changed_and_what_left() {
        let mut sent = HashMap::new();
        let first = diff("c", &mut sent, vec![summary("a", Health::Healthy), summary("b", Health::Healthy)]);
        assert_eq!(first.upserted.len(), 2);
        let second = diff(
            "c",
            &mut sent,
            vec![summary("a", Health::Healthy), summary("b", Health::Down), summary("c", Health::Unknown)],
        );
        let ids: Vec<&str> = second.upserted.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, vec!["b", "c"]);
        assert!(second.removed.is_empty());
        let third = diff("c", &mut sent, vec![summary("b", Health::Down)]);
        assert!(third.upserted.is_empty());
        assert_eq!(third.removed, vec![("c".to_owned(), "a".to_owned()), ("c".to_owned(), "c".to_owned())]);
        assert!(diff("c", &mut sent, vec![summary("b", Health::Down)]).is_empty());
    }
}
