//! Pods as the inventory keeps them. Every pod of a cluster is watched — tens of thousands at
//! fleet size —, so a pod is decoded straight into the few facts read of it: no `ObjectMeta`, no
//! labels map (a map costs half a kilobyte even with one entry), no conditions or container
//! statuses beyond what the health rules and the tenant detail say.

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::api_kind;
use crate::inventory::store::Keyed;
use crate::status::PodFacts;

/// A pod: where it runs, the workload that made it, and how it is doing.
#[derive(Clone, Debug, Deserialize)]
#[serde(from = "ListedPod")]
pub struct TenantPod {
    /// Its name.
    pub name: String,
    /// Its namespace.
    pub namespace: String,
    /// The resourceVersion it was seen at.
    resource_version: Option<String>,
    /// When it was created.
    pub created: Option<Time>,
    /// The controller that owns it.
    pub controller: Option<Controller>,
    /// Its `pod-template-hash` label, which ends the name of the ReplicaSet that made it.
    pub template_hash: Option<String>,
    /// The node it was scheduled to.
    pub node: Option<String>,
    /// `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`, as reported.
    pub phase: Option<String>,
    /// Being deleted (it has a deletion timestamp): no longer counted among its workload's pods.
    pub terminating: bool,
    /// What the health rules read of it.
    pub facts: PodFacts,
    /// The containers that have a status (whose logs can be read).
    pub containers: Vec<String>,
}
api_kind!(TenantPod, NamespaceResourceScope, "", "v1", "Pod", "pods");

/// A pod's controlling owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Controller {
    /// Its kind, e.g. `ReplicaSet`.
    pub kind: String,
    /// Its name.
    pub name: String,
}

impl Keyed for TenantPod {
    fn location(&self) -> (Option<&str>, &str) {
        (Some(&self.namespace), &self.name)
    }

    fn seen_version(&self) -> Option<&str> {
        self.resource_version.as_deref()
    }
}

/// A pod as the API sends it, the fields read only.
#[derive(Deserialize)]
struct ListedPod {
    metadata: PodMeta,
    spec: Option<PodSpec>,
    status: Option<PodStatus>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PodMeta {
    name: Option<String>,
    namespace: Option<String>,
    resource_version: Option<String>,
    creation_timestamp: Option<Time>,
    deletion_timestamp: Option<IgnoredAny>,
    labels: Option<PodLabels>,
    owner_references: Option<Vec<Owner>>,
}

/// One owner reference: its kind and name, and whether it is the controller.
#[derive(Deserialize)]
struct Owner {
    kind: String,
    name: String,
    controller: Option<bool>,
}

#[derive(Deserialize)]
struct PodLabels {
    #[serde(rename = "pod-template-hash")]
    template_hash: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PodSpec {
    node_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PodStatus {
    phase: Option<String>,
    conditions: Option<Vec<PodCondition>>,
    container_statuses: Option<Vec<ContainerStatus>>,
}

#[derive(Deserialize)]
struct PodCondition {
    #[serde(rename = "type")]
    type_: String,
    status: String,
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContainerStatus {
    #[serde(default)]
    name: String,
    #[serde(default)]
    restart_count: i32,
    state: Option<ContainerState>,
}

#[derive(Deserialize)]
struct ContainerState {
    waiting: Option<ContainerWaiting>,
}

#[derive(Deserialize)]
struct ContainerWaiting {
    reason: Option<String>,
}

impl From<ListedPod> for TenantPod {
    fn from(listed: ListedPod) -> Self {
        let meta = listed.metadata;
        let status = listed.status;
        let (phase, conditions, containers) = match status {
            Some(s) => (s.phase, s.conditions.unwrap_or_default(), s.container_statuses.unwrap_or_default()),
            None => (None, Vec::new(), Vec::new()),
        };
        let condition = |type_: &str| conditions.iter().find(|c| c.type_ == type_);
        let facts = PodFacts {
            ready: condition("Ready").is_some_and(|c| c.status == "True"),
            pending: phase.as_deref() == Some("Pending"),
            restarts: containers.iter().map(|c| c.restart_count).sum(),
            unschedulable: condition("PodScheduled")
                .is_some_and(|c| c.status == "False" && c.reason.as_deref() == Some("Unschedulable")),
            waiting: containers.iter().find_map(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone()),
        };
        let controller = meta.owner_references.into_iter().flatten().find(|owner| owner.controller == Some(true));
        Self {
            name: meta.name.unwrap_or_default(),
            namespace: meta.namespace.unwrap_or_default(),
            resource_version: meta.resource_version,
            created: meta.creation_timestamp,
            controller: controller.map(|owner| Controller { kind: owner.kind, name: owner.name }),
            template_hash: meta.labels.and_then(|labels| labels.template_hash),
            terminating: meta.deletion_timestamp.is_some(),
            node: listed.spec.and_then(|spec| spec.node_name),
            phase,
            facts,
            containers: containers.into_iter().map(|c| c.name).filter(|name| !name.is_empty()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_decodes_to_the_facts_read_of_it() {
        let pod: TenantPod = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web-5d9f-x", "namespace": "acme", "resourceVersion": "9",
                         "creationTimestamp": "2026-11-01T10:00:00Z", "deletionTimestamp": "2026-11-01T10:05:00Z",
                         "labels": {"app": "web", "pod-template-hash": "5d9f"},
                         "annotations": {"prometheus.io/scrape": "true"},
                         "ownerReferences": [
                             {"apiVersion": "v1", "kind": "ConfigMap", "name": "other", "uid": "u0"},
                             {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d9f", "uid": "u1", "controller": true}]},
            "spec": {"nodeName": "node-1", "containers": [{"name": "app", "image": "nginx"}]},
            "status": {
                "phase": "Running",
                "conditions": [{"type": "Initialized", "status": "True"},
                               {"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
                "containerStatuses": [{"name": "app", "restartCount": 3, "ready": false,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}}}, {"name": "sidecar", "restartCount": 1}]
            }
        }))
        .expect("decodes");
        assert_eq!((pod.name.as_str(), pod.namespace.as_str(), pod.seen_version()), ("web-5d9f-x", "acme", Some("9")));
        assert_eq!(pod.created.map(|t| t.0.to_string()).as_deref(), Some("2026-11-01T10:00:00Z"));
        assert_eq!(pod.controller, Some(Controller { kind: "ReplicaSet".into(), name: "web-5d9f".into() }));
        assert_eq!(pod.template_hash.as_deref(), Some("5d9f"));
        assert!(pod.terminating);
        assert_eq!((pod.node.as_deref(), pod.phase.as_deref()), (Some("node-1"), Some("Running")));
        assert_eq!(
            pod.facts,
            PodFacts {
                ready: false,
                restarts: 4,
                pending: false,
                unschedulable: false,
                waiting: Some("CrashLoopBackOff".into())
            }
        );
        assert_eq!(pod.containers, ["app", "sidecar"]);
    }

    #[test]
    fn an_unschedulable_pending_pod_and_a_bare_one_decode() {
        let pending: TenantPod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p", "namespace": "acme"},
            "status": {"phase": "Pending", "conditions": [
                {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]}
        }))
        .expect("decodes");
        assert!(pending.facts.pending && pending.facts.unschedulable && !pending.facts.ready);
        let bare: TenantPod =
            serde_json::from_value(serde_json::json!({"metadata": {"name": "b", "namespace": "acme"}}))
                .expect("decodes");
        assert_eq!((bare.controller, bare.phase, bare.facts), (None, None, PodFacts::default()));
        assert!(!bare.terminating && !pending.terminating);
    }
}
