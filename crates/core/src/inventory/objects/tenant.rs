//! The kinds the tenant list is built from: Namespaces, the workloads in them (Deployments and
//! StatefulSets) and their Pods.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope};
use serde::Deserialize;

use super::{slim_meta, slim_resource};

/// A tenant Namespace: its labels, the spec and revision annotations, and Tenantry's writes.
#[derive(Clone, Debug, Deserialize)]
pub struct TenantNamespace {
    /// Everything the tenant row reads is metadata.
    #[serde(deserialize_with = "slim_meta")]
    pub metadata: ObjectMeta,
}
slim_resource!(TenantNamespace, ClusterResourceScope, "", "v1", "Namespace", "namespaces");

/// Declares a slim workload kind (Deployment, StatefulSet): its size, images and rollout.
macro_rules! workload {
    ($type:ident, $kind:literal, $plural:literal, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, Debug, Deserialize)]
        pub struct $type {
            /// Identity, labels (owner, version) and generation.
            #[serde(deserialize_with = "slim_meta")]
            pub metadata: ObjectMeta,
            /// The wanted replicas and the images of its pods.
            pub spec: Option<WorkloadShape>,
            /// The rollout's progress.
            pub status: Option<WorkloadProgress>,
        }
        slim_resource!($type, NamespaceResourceScope, "apps", "v1", $kind, $plural);
    };
}

workload!(WatchedDeployment, "Deployment", "deployments", "A Deployment in any namespace.");
workload!(WatchedStatefulSet, "StatefulSet", "statefulsets", "A StatefulSet in any namespace.");

/// The part of a workload's spec the inventory reads.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct WorkloadShape {
    /// Pods asked for (Kubernetes defaults it to 1).
    pub replicas: Option<i32>,
    /// The images its pods run.
    #[serde(default, rename = "template", deserialize_with = "template_images")]
    pub images: Vec<String>,
}

/// The part of a workload's status the inventory reads.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadProgress {
    /// Pods ready.
    pub ready_replicas: Option<i32>,
    /// Pods running the current template.
    pub updated_replicas: Option<i32>,
    /// The generation the controller has acted on.
    pub observed_generation: Option<i64>,
}

/// Decodes a pod template keeping only its containers' images.
fn template_images<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    struct Template {
        spec: Option<PodImages>,
    }
    #[derive(Deserialize)]
    struct PodImages {
        #[serde(default)]
        containers: Vec<Image>,
    }
    #[derive(Deserialize)]
    struct Image {
        image: Option<String>,
    }
    let template = Option::<Template>::deserialize(deserializer)?;
    Ok(template
        .and_then(|t| t.spec)
        .map(|s| s.containers.into_iter().filter_map(|c| c.image).collect())
        .unwrap_or_default())
}

/// A pod: where it runs, how it is doing, and (in its metadata) the controller that owns it.
#[derive(Clone, Debug, Deserialize)]
pub struct TenantPod {
    /// Identity, its controller, creation time, and of its labels only `pod-template-hash`.
    #[serde(deserialize_with = "pod_meta")]
    pub metadata: ObjectMeta,
    /// Its node.
    pub spec: Option<PodPlacement>,
    /// Its phase, conditions and containers.
    pub status: Option<PodState>,
}
slim_resource!(TenantPod, NamespaceResourceScope, "", "v1", "Pod", "pods");

/// A pod's label the inventory reads: it ends the name of the ReplicaSet that made the pod.
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";

/// A pod's metadata as the inventory keeps it: every pod of a cluster is watched, so it keeps
/// no annotation and, of the labels, only [`POD_TEMPLATE_HASH`].
fn pod_meta<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<ObjectMeta, D::Error> {
    let mut meta = slim_meta(deserializer)?;
    meta.annotations = None;
    if let Some(labels) = meta.labels.as_mut() {
        labels.retain(|key, _| key == POD_TEMPLATE_HASH);
    }
    Ok(meta)
}

/// The part of a pod's spec the inventory reads.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodPlacement {
    /// The node it was scheduled to.
    pub node_name: Option<String>,
}

/// The part of a pod's status the inventory reads.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodState {
    /// `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`.
    pub phase: Option<String>,
    /// The `Ready` and `PodScheduled` conditions (the others are not kept).
    #[serde(default, deserialize_with = "read_conditions")]
    pub conditions: Option<Vec<Condition>>,
    /// One entry per container.
    pub container_statuses: Option<Vec<ContainerStatus>>,
}

/// Decodes a pod's conditions keeping those the health rules read.
fn read_conditions<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<Condition>>, D::Error> {
    let conditions = Option::<Vec<Condition>>::deserialize(deserializer)?;
    Ok(conditions.map(|all| all.into_iter().filter(|c| c.type_ == "Ready" || c.type_ == "PodScheduled").collect()))
}

/// One condition of a pod or a Job.
#[derive(Clone, Debug, Deserialize)]
pub struct Condition {
    /// Its type, e.g. `Ready` or `Complete`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// Machine-readable reason, e.g. `Unschedulable`.
    pub reason: Option<String>,
}

/// One container's restarts and, while it waits, why.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStatus {
    /// The container's name.
    #[serde(default)]
    pub name: String,
    /// Times it restarted.
    #[serde(default)]
    pub restart_count: i32,
    /// Its current state.
    pub state: Option<ContainerState>,
}

/// The waiting part of a container's state.
#[derive(Clone, Debug, Deserialize)]
pub struct ContainerState {
    /// Present while the container is not running.
    pub waiting: Option<ContainerWaiting>,
}

/// Why a container waits.
#[derive(Clone, Debug, Deserialize)]
pub struct ContainerWaiting {
    /// E.g. `CrashLoopBackOff`, `ImagePullBackOff`.
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use kube::Resource as _;

    use super::*;

    #[test]
    fn a_pod_keeps_only_the_label_and_conditions_read() {
        let pod: TenantPod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web-5d9f-x", "labels": {"app": "web", "pod-template-hash": "5d9f"},
                         "annotations": {"prometheus.io/scrape": "true"}},
            "status": {"conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"},
                                      {"type": "PodScheduled", "status": "True"}]}
        }))
        .expect("decodes");
        assert_eq!(
            pod.metadata.labels.expect("labels").into_iter().collect::<Vec<_>>(),
            [("pod-template-hash".to_owned(), "5d9f".to_owned())]
        );
        assert!(pod.metadata.annotations.is_none());
        let kept: Vec<String> =
            pod.status.and_then(|s| s.conditions).unwrap_or_default().into_iter().map(|c| c.type_).collect();
        assert_eq!(kept, ["Ready", "PodScheduled"]);
    }

    #[test]
    fn a_full_pod_decodes_to_what_the_inventory_reads() {
        let pod: TenantPod = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "app-1", "namespace": "acme", "labels": {"app.kubernetes.io/name": "app"}},
            "spec": {"nodeName": "node-1", "containers": [{"name": "app", "image": "nginx"}]},
            "status": {
                "phase": "Running",
                "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
                "containerStatuses": [{"name": "app", "restartCount": 3, "ready": false,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]
            }
        }))
        .expect("decodes");
        assert_eq!(pod.meta().name.as_deref(), Some("app-1"));
        assert_eq!(pod.spec.and_then(|s| s.node_name).as_deref(), Some("node-1"));
        let status = pod.status.expect("status");
        assert_eq!(status.conditions.expect("conditions")[0].reason.as_deref(), Some("ContainersNotReady"));
        let container = &status.container_statuses.expect("containers")[0];
        assert_eq!(container.restart_count, 3);
        let waiting = container.state.as_ref().and_then(|s| s.waiting.as_ref()).and_then(|w| w.reason.as_deref());
        assert_eq!(waiting, Some("CrashLoopBackOff"));
    }

    #[test]
    fn a_deployment_without_status_decodes() {
        let deployment: WatchedDeployment = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "app", "namespace": "acme", "generation": 2},
            "spec": {"replicas": 0, "template": {"spec": {"containers": []}}}
        }))
        .expect("decodes");
        let shape = deployment.spec.expect("spec");
        assert_eq!((shape.replicas, shape.images.len()), (Some(0), 0));
        assert!(deployment.status.is_none());
    }

    #[test]
    fn a_statefulset_keeps_its_images_and_not_its_template() {
        let set: WatchedStatefulSet = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "db", "namespace": "acme"},
            "spec": {"replicas": 1, "serviceName": "db", "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {"containers": [{"name": "db", "image": "postgres:16.2", "env": [{"name": "A", "value": "b"}]},
                                        {"name": "exporter"}]}}},
            "status": {"readyReplicas": 1, "observedGeneration": 1}
        }))
        .expect("decodes");
        assert_eq!(set.spec.expect("spec").images, ["postgres:16.2"]);
        assert_eq!(set.status.and_then(|s| s.ready_replicas), Some(1));
    }

    #[test]
    fn the_slim_kinds_address_the_same_api_as_the_full_ones() {
        assert_eq!(WatchedDeployment::api_version(&()), "apps/v1");
        assert_eq!(WatchedDeployment::plural(&()), "deployments");
        assert_eq!(WatchedStatefulSet::plural(&()), "statefulsets");
        assert_eq!(TenantPod::api_version(&()), "v1");
        assert_eq!(TenantNamespace::kind(&()), "Namespace");
    }
}
