//! The slim types every inventory watch decodes into: only the fields the health rules and the
//! tenant detail read. A cluster's listings are megabytes of pod specs, job templates and
//! managedFields; decoding them into k8s-openapi's full types and trimming afterwards costs
//! several times the transfer, while these types let the JSON parser skip what nobody reads.

mod detail;
mod pod;
mod tenant;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde::Deserialize;

pub use detail::{Autoscaler, BackupJob, CapsuleTenant, ClusterEvent, TenantIngress, WatchedCronJob};
pub use pod::TenantPod;
pub use tenant::{TenantNamespace, WatchedDeployment, WatchedStatefulSet, WorkloadProgress, WorkloadShape};

use crate::labels::FIELD_MANAGER;
use crate::pairs::Pairs;

/// Annotations nobody reads that can be as large as the object: kubectl's copy of what it applied.
const DROPPED_ANNOTATIONS: [&str; 1] = ["kubectl.kubernetes.io/last-applied-configuration"];

/// Object metadata as the inventory keeps it: identity, labels, annotations (without kubectl's
/// applied copy), generation, creation time, and when Tenantry last wrote the object (its latest
/// managedFields entry). No uid, owners or field sets, and no maps.
#[derive(Clone, Debug, Deserialize)]
#[serde(from = "ListedMeta")]
pub struct Meta {
    /// The object's name.
    pub name: String,
    /// Its namespace; `None` for a cluster-scoped object.
    pub namespace: Option<String>,
    /// The resourceVersion it was seen at.
    resource_version: Option<String>,
    /// The generation of its spec.
    pub generation: Option<i64>,
    /// When it was created.
    pub created: Option<Time>,
    /// Its labels.
    pub labels: Pairs,
    /// Its annotations.
    pub annotations: Pairs,
    /// When Tenantry last wrote it.
    pub written_by_tenantry: Option<Time>,
}

impl Meta {
    /// The resourceVersion it was seen at, if the server gave one.
    pub fn resource_version(&self) -> Option<&str> {
        self.resource_version.as_deref()
    }
}

/// `metadata` as the API sends it, the fields read only.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListedMeta {
    name: Option<String>,
    namespace: Option<String>,
    resource_version: Option<String>,
    generation: Option<i64>,
    creation_timestamp: Option<Time>,
    #[serde(default)]
    labels: Pairs,
    #[serde(default, deserialize_with = "kept_annotations")]
    annotations: Pairs,
    managed_fields: Option<Vec<WriteTime>>,
}

/// One managedFields entry without its field set.
#[derive(Deserialize)]
struct WriteTime {
    manager: Option<String>,
    time: Option<Time>,
}

impl From<ListedMeta> for Meta {
    fn from(listed: ListedMeta) -> Self {
        let written_by_tenantry = listed
            .managed_fields
            .into_iter()
            .flatten()
            .filter(|entry| entry.manager.as_deref() == Some(FIELD_MANAGER))
            .filter_map(|entry| entry.time)
            .max_by_key(|time| time.0);
        Self {
            name: listed.name.unwrap_or_default(),
            namespace: listed.namespace,
            resource_version: listed.resource_version,
            generation: listed.generation,
            created: listed.creation_timestamp,
            labels: listed.labels,
            annotations: listed.annotations,
            written_by_tenantry,
        }
    }
}

/// Decodes annotations without those nobody reads.
fn kept_annotations<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Pairs, D::Error> {
    crate::pairs::deserialize_without(deserializer, &DROPPED_ANNOTATIONS)
}

/// Implements the k8s-openapi trait naming the API of a kind the inventory watches.
macro_rules! api_kind {
    ($type:ty, $scope:ty, $group:literal, $version:literal, $kind:literal, $plural:literal) => {
        impl k8s_openapi::Resource for $type {
            const API_VERSION: &'static str = if $group.is_empty() { $version } else { concat!($group, "/", $version) };
            const GROUP: &'static str = $group;
            const KIND: &'static str = $kind;
            const VERSION: &'static str = $version;
            const URL_PATH_SEGMENT: &'static str = $plural;
            type Scope = $scope;
        }
    };
}
use api_kind;

/// Names the API of a slim kind with a [`Meta`], and makes it the store's key.
macro_rules! slim_resource {
    ($type:ty, $scope:ty, $group:literal, $version:literal, $kind:literal, $plural:literal) => {
        crate::inventory::objects::api_kind!($type, $scope, $group, $version, $kind, $plural);

        impl crate::inventory::store::Keyed for $type {
            fn location(&self) -> (Option<&str>, &str) {
                (self.metadata.namespace.as_deref(), &self.metadata.name)
            }

            fn seen_version(&self) -> Option<&str> {
                self.metadata.resource_version()
            }
        }
    };
}
use slim_resource;

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(json: serde_json::Value) -> Meta {
        serde_json::from_value(json).expect("decodes")
    }

    #[test]
    fn metadata_keeps_identity_and_tenantrys_last_write_time_only() {
        let meta = meta(serde_json::json!({
            "name": "acme", "uid": "u1", "resourceVersion": "42", "generation": 3,
            "creationTimestamp": "2026-11-01T10:00:00Z",
            "labels": {"tenantry.io/tenant": "acme"},
            "annotations": {"tenantry.io/revision": "2"},
            "managedFields": [
                {"manager": "kube-controller-manager", "time": "2026-11-03T10:00:01Z", "fieldsV1": {"f:status": {}}},
                {"manager": "tenantry", "operation": "Apply", "time": "2026-11-02T09:00:00Z",
                 "fieldsV1": {"f:metadata": {"f:labels": {}}}},
                {"manager": "tenantry", "operation": "Apply", "subresource": "scale", "time": "2026-11-01T08:00:00Z"}
            ]
        }));
        assert_eq!((meta.name.as_str(), meta.namespace.as_deref()), ("acme", None));
        assert_eq!((meta.resource_version(), meta.generation), (Some("42"), Some(3)));
        assert_eq!(meta.created.map(|t| t.0.to_string()).as_deref(), Some("2026-11-01T10:00:00Z"));
        assert_eq!(meta.labels.get("tenantry.io/tenant"), Some("acme"));
        assert_eq!(meta.annotations.get("tenantry.io/revision"), Some("2"));
        let written = meta.written_by_tenantry.map(|t| t.0.to_string());
        assert_eq!(written.as_deref(), Some("2026-11-02T09:00:00Z"));
    }

    #[test]
    fn metadata_drops_kubectls_applied_copy() {
        let meta = meta(serde_json::json!({
            "name": "web",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{...}", "note": "kept"},
        }));
        assert_eq!(meta.annotations.iter().collect::<Vec<_>>(), [("note", "kept")]);
    }

    #[test]
    fn metadata_without_tenantrys_writes_or_maps_has_none() {
        let meta = meta(serde_json::json!({"name": "x", "managedFields": [{"manager": "kubectl"}]}));
        assert!(
            meta.written_by_tenantry.is_none()
                && meta.labels.iter().next().is_none()
                && meta.annotations.iter().next().is_none()
        );
    }
}
