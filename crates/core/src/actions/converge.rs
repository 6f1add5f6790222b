//! Waiting until a tenant runs as asked: its Deployments rolled out (every wanted pod ready on
//! the current template, no old pods left, the generation the action wrote seen), or its
//! namespace gone; with rollout progress as it happens and, on timeout, the reason from the
//! Deployments' and pods' conditions.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Namespace, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::ResourceExt as _;
use kube::api::{Api, ListParams};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::{WatchStreamExt as _, watcher};
use serde_json::Value;
use tokio::sync::watch;

use super::mirror::Mirror;
use super::session::WATCH_SECONDS;

use crate::labels::managed_selector;

/// Rollout progress summed over a tenant's Deployments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rollout {
    /// Pods ready.
    pub ready: i32,
    /// Pods on the current template.
    pub updated: i32,
    /// Pods wanted.
    pub desired: i32,
}

/// Why waiting ended without convergence.
#[derive(Debug, thiserror::Error)]
pub enum ConvergeError {
    /// Not converged in time; `reason` says what holds it up.
    #[error("not running as asked after {} s: {reason}", timeout.as_secs())]
    Timeout {
        /// How long we waited.
        timeout: Duration,
        /// What holds it up, from the cluster's conditions.
        reason: String,
    },
    /// Something the action waited for failed (a backup or restore Job).
    #[error("{what} failed: {reason}")]
    Failed {
        /// What failed.
        what: String,
        /// Why, from its conditions.
        reason: String,
    },
    /// Reading the namespace failed.
    #[error("cannot read the namespace")]
    Read(#[source] kube::Error),
}

/// The Deployments an action waits for, each with the generation it wrote (0 for one it left
/// as it was): a Deployment counts as rolled out only once its controller has seen that
/// generation, since a listing served from a cache may still show the state before the write.
#[derive(Debug, Default)]
pub struct Expected(BTreeMap<String, i64>);

impl Expected {
    /// Notes a Deployment the action left as it was (other kinds are ignored).
    pub fn kept(&mut self, object: &Value) {
        if object["kind"].as_str() == Some("Deployment")
            && let Some(name) = object["metadata"]["name"].as_str()
        {
            self.0.entry(name.to_owned()).or_insert(0);
        }
    }

    /// Notes an object the action wrote, as the server returned it (other kinds are ignored).
    pub fn written(&mut self, kind: &str, object: &ObjectMeta) {
        if kind == "Deployment"
            && let Some(name) = &object.name
        {
            self.0.insert(name.clone(), object.generation.unwrap_or(0));
        }
    }

    fn seen(&self, deployment: &Deployment) -> bool {
        let wrote = self.0.get(deployment.metadata.name.as_deref().unwrap_or_default()).copied().unwrap_or(0);
        deployment.metadata.generation.unwrap_or(0) >= wrote
    }
}

/// A workload (Deployment or StatefulSet) of a tenant without a blueprint an action waits for,
/// with the generation it wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Awaited {
    /// `Deployment` or `StatefulSet`.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// The generation written.
    pub generation: i64,
}

impl Awaited {
    /// The workload `object` names, as `written` (`None`: left unchanged, so not waited for);
    /// `None` for other kinds.
    pub fn of(object: &Value, written: Option<&ObjectMeta>) -> Option<Self> {
        let written = written?;
        let kind = object["kind"].as_str().filter(|k| ["Deployment", "StatefulSet"].contains(k))?;
        Some(Self {
            kind: kind.to_owned(),
            name: object["metadata"]["name"].as_str().unwrap_or_default().to_owned(),
            generation: written.generation.unwrap_or(0),
        })
    }
}

/// Waits until every `awaited` workload of namespace `id` has rolled out (its controller saw
/// the generation written, every wanted pod ready on the current template), reading them
/// twice a second.
pub async fn workloads_rolled_out(
    client: &kube::Client,
    id: &str,
    awaited: &[Awaited],
    timeout: Duration,
    mut progress: impl FnMut(Rollout),
) -> Result<(), ConvergeError> {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), id);
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), id);
    let wait = async {
        let mut last = None;
        loop {
            let mut total = Rollout::default();
            let mut done = true;
            for workload in awaited {
                let read = if workload.kind == "StatefulSet" {
                    sets.get_opt(&workload.name).await.map(|set| set.as_ref().map(Reported::of_set))
                } else {
                    deployments.get_opt(&workload.name).await.map(|d| d.as_ref().map(Reported::of_deployment))
                };
                match read {
                    Ok(Some(reported)) => {
                        total.ready += reported.ready;
                        total.updated += reported.updated;
                        total.desired += reported.desired;
                        done &= reported.rolled_out() && reported.observed >= workload.generation;
                    }
                    Ok(None) => {}
                    Err(error) => {
                        tracing::debug!(%error, "reading a workload's rollout failed; retrying");
                        done = false;
                    }
                }
            }
            if last != Some(total) {
                progress(total);
                last = Some(total);
            }
            if done {
                return;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    };
    if tokio::time::timeout(timeout, wait).await.is_ok() {
        return Ok(());
    }
    Err(ConvergeError::Timeout { timeout, reason: holdup(client, id).await })
}

/// What a workload's controller reports about its rollout.
struct Reported {
    desired: i32,
    generation: i64,
    observed: i64,
    ready: i32,
    updated: i32,
    current: i32,
}

impl Reported {
    fn of_deployment(deployment: &Deployment) -> Self {
        let status = deployment.status.clone().unwrap_or_default();
        Self {
            desired: deployment.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
            generation: deployment.metadata.generation.unwrap_or(0),
            observed: status.observed_generation.unwrap_or(0),
            ready: status.ready_replicas.unwrap_or(0),
            updated: status.updated_replicas.unwrap_or(0),
            current: status.replicas.unwrap_or(0),
        }
    }

    fn of_set(set: &StatefulSet) -> Self {
        let status = set.status.clone().unwrap_or_default();
        Self {
            desired: set.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
            generation: set.metadata.generation.unwrap_or(0),
            observed: status.observed_generation.unwrap_or(0),
            ready: status.ready_replicas.unwrap_or(0),
            updated: status.updated_replicas.unwrap_or(0),
            current: status.replicas,
        }
    }

    /// Like `kubectl rollout status`: the newest spec seen, every wanted pod ready on the
    /// current template, no other pod left.
    fn rolled_out(&self) -> bool {
        self.observed >= self.generation
            && self.ready == self.desired
            && self.current == self.desired
            && (self.desired == 0 || self.updated == self.desired)
    }
}

/// Waits until every Tenantry Deployment of namespace `id` has rolled out, reporting progress:
/// through the batch's `mirror` when it has one, else through a watch of the namespace.
pub async fn rolled_out(
    client: &kube::Client,
    mirror: Option<&Mirror>,
    id: &str,
    expected: &Expected,
    timeout: Duration,
    mut progress: impl FnMut(Rollout),
) -> Result<(), ConvergeError> {
    let mirrored = match mirror {
        Some(mirror) if !expected.0.is_empty() => mirror.deployments().await,
        _ => None,
    };
    let wait = async {
        match mirrored {
            Some((store, seen)) => follow_mirror(&store, seen, id, expected, &mut progress).await,
            None => follow_watch(client, id, expected, &mut progress).await,
        }
    };
    if tokio::time::timeout(timeout, wait).await.is_ok() {
        return Ok(());
    }
    Err(ConvergeError::Timeout { timeout, reason: holdup(client, id).await })
}

/// Follows the expected Deployments of `id` in a batch's shared store, woken by its changes.
async fn follow_mirror(
    store: &Store<Deployment>,
    mut changed: watch::Receiver<u64>,
    id: &str,
    expected: &Expected,
    progress: &mut impl FnMut(Rollout),
) {
    let mut last = None;
    loop {
        let found: Vec<Arc<Deployment>> =
            expected.0.keys().filter_map(|name| store.get(&ObjectRef::new(name).within(id))).collect();
        let now = sum(found.iter().map(AsRef::as_ref));
        if last != Some(now) {
            progress(now);
            last = Some(now);
        }
        if found.len() == expected.0.len() && found.iter().all(|d| expected.seen(d) && is_rolled_out(d)) {
            return;
        }
        if changed.changed().await.is_err() {
            // The mirror stopped; the timeout around this wait names what holds the tenant up.
            std::future::pending::<()>().await;
        }
    }
}

/// Follows every Tenantry Deployment of `id` through a watch of that namespace.
async fn follow_watch(client: &kube::Client, id: &str, expected: &Expected, progress: &mut impl FnMut(Rollout)) {
    let api: Api<Deployment> = Api::namespaced(client.clone(), id);
    let selector = managed_selector();
    let mut deployments: BTreeMap<String, Deployment> = BTreeMap::new();
    let mut last = None;
    let stream = watcher(api, watcher::Config::default().labels(&selector).timeout(WATCH_SECONDS)).default_backoff();
    futures::pin_mut!(stream);
    while let Some(event) = stream.next().await {
        match event {
            Ok(watcher::Event::Apply(d) | watcher::Event::InitApply(d)) => {
                deployments.insert(d.name_any(), d);
            }
            Ok(watcher::Event::Delete(d)) => {
                deployments.remove(&d.name_any());
            }
            Ok(watcher::Event::Init) => deployments.clear(),
            Ok(watcher::Event::InitDone) => {}
            Err(error) => tracing::debug!(%error, "rollout watch interrupted; retrying"),
        }
        let now = sum(deployments.values());
        if last != Some(now) {
            progress(now);
            last = Some(now);
        }
        if !deployments.is_empty() && deployments.values().all(|d| expected.seen(d) && is_rolled_out(d)) {
            return;
        }
    }
}

/// Waits until namespace `id` is gone, asking once a second (each answer under the session's
/// request deadline).
pub async fn deleted(client: &kube::Client, id: &str, timeout: Duration) -> Result<(), ConvergeError> {
    let api: Api<Namespace> = Api::all(client.clone());
    let gone = async {
        loop {
            if api.get_opt(id).await.map_err(ConvergeError::Read)?.is_none() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    };
    tokio::time::timeout(timeout, gone).await.unwrap_or_else(|_| {
        Err(ConvergeError::Timeout {
            timeout,
            reason: format!("namespace {id} is still terminating (finalizers or objects left)"),
        })
    })
}

fn sum<'a>(deployments: impl Iterator<Item = &'a Deployment>) -> Rollout {
    deployments.fold(Rollout::default(), |total, d| {
        let status = d.status.clone().unwrap_or_default();
        Rollout {
            ready: total.ready + status.ready_replicas.unwrap_or(0),
            updated: total.updated + status.updated_replicas.unwrap_or(0),
            desired: total.desired + d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
        }
    })
}

/// Like `kubectl rollout status`: the controller saw the newest spec, every wanted pod runs the
/// current template and is ready, and no pod of an older template is left.
fn is_rolled_out(deployment: &Deployment) -> bool {
    let desired = deployment.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let Some(status) = &deployment.status else {
        return false;
    };
    status.observed_generation.unwrap_or(0) >= deployment.metadata.generation.unwrap_or(0)
        && status.updated_replicas.unwrap_or(0) == desired
        && status.ready_replicas.unwrap_or(0) == desired
        && status.replicas.unwrap_or(0) == desired
}

/// What holds the tenant up: a failing Deployment condition, an unschedulable or waiting pod.
async fn holdup(client: &kube::Client, id: &str) -> String {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), id);
    let pods: Api<Pod> = Api::namespaced(client.clone(), id);
    let selector = ListParams::default();
    let deployment_reason = deployments.list(&ListParams::default()).await.ok().and_then(|list| {
        list.items.iter().find_map(|d| {
            d.status.as_ref()?.conditions.as_ref()?.iter().find_map(|c| {
                let failing = (c.type_ == "ReplicaFailure" && c.status == "True")
                    || (c.type_ == "Progressing" && c.status == "False");
                failing.then(|| format!("Deployment {}: {}", d.name_any(), c.message.clone().unwrap_or_default()))
            })
        })
    });
    let pod_reason = pods.list(&selector).await.ok().and_then(|list| {
        list.items.iter().find_map(|pod| {
            let status = pod.status.as_ref()?;
            let unscheduled =
                status.conditions.as_ref()?.iter().find(|c| c.type_ == "PodScheduled" && c.status == "False");
            if let Some(condition) = unscheduled {
                return Some(format!(
                    "pod {} cannot be scheduled: {}",
                    pod.name_any(),
                    condition.message.clone().unwrap_or_default()
                ));
            }
            let waiting = status.container_statuses.as_ref()?.iter().find_map(|c| c.state.as_ref()?.waiting.clone())?;
            Some(format!("pod {} is waiting: {}", pod.name_any(), waiting.reason.unwrap_or_default()))
        })
    });
    deployment_reason.or(pod_reason).unwrap_or_else(|| "pods are still starting".to_owned())
}
