//! The kinds the tenant list is built from besides pods: Namespaces and the workloads in them
//! (Deployments and StatefulSets).

use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope};
use serde::Deserialize;

use super::{Meta, slim_resource};

/// A tenant Namespace: its labels, the spec and revision annotations, and Tenantry's writes.
#[derive(Clone, Debug, Deserialize)]
pub struct TenantNamespace {
    /// Everything the tenant row reads is metadata.
    pub metadata: Meta,
}
slim_resource!(TenantNamespace, ClusterResourceScope, "", "v1", "Namespace", "namespaces");

/// Declares a slim workload kind (Deployment, StatefulSet): its size, images and rollout.
macro_rules! workload {
    ($type:ident, $kind:literal, $plural:literal, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, Debug, Deserialize)]
        pub struct $type {
            /// Identity, labels (owner, version) and generation.
            pub metadata: Meta,
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(set.status.and_then(|s| s.observed_generation), Some(1));
    }

    #[test]
    fn the_slim_kinds_address_the_same_api_as_the_full_ones() {
        use k8s_openapi::Resource;
        use k8s_openapi::api::{apps::v1 as apps, core::v1 as core};
        assert_eq!(WatchedDeployment::API_VERSION, apps::Deployment::API_VERSION);
        assert_eq!(WatchedDeployment::URL_PATH_SEGMENT, apps::Deployment::URL_PATH_SEGMENT);
        assert_eq!(WatchedStatefulSet::URL_PATH_SEGMENT, apps::StatefulSet::URL_PATH_SEGMENT);
        assert_eq!(TenantNamespace::KIND, core::Namespace::KIND);
    }
}
