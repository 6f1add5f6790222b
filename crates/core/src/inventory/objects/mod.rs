//! The slim types every inventory watch decodes into: only the fields the health rules and the
//! tenant detail read. A cluster's listings are megabytes of pod specs, job templates and
//! managedFields; decoding them into k8s-openapi's full types and trimming afterwards costs
//! several times the transfer, while these types let the JSON parser skip what nobody reads.

mod detail;
mod pod;
mod tenant;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ManagedFieldsEntry, ObjectMeta, OwnerReference, Time};
use serde::{Deserialize, Deserializer};

pub use detail::{Autoscaler, BackupJob, CapsuleTenant, ClusterEvent, TenantIngress, WatchedCronJob};
pub use pod::TenantPod;
pub use tenant::{TenantNamespace, WatchedDeployment, WatchedStatefulSet, WorkloadProgress, WorkloadShape};

use crate::labels::FIELD_MANAGER;

/// Annotations nobody reads that can be as large as the object: kubectl's copy of what it applied.
const DROPPED_ANNOTATIONS: [&str; 1] = ["kubectl.kubernetes.io/last-applied-configuration"];

/// Object metadata as the inventory keeps it: name, namespace and resourceVersion, labels,
/// annotations (without kubectl's applied copy), generation, creation time, the controller that
/// owns it, and when Tenantry last wrote the object (its latest managedFields entry, without the
/// field set).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SlimMeta {
    name: Option<String>,
    namespace: Option<String>,
    resource_version: Option<String>,
    generation: Option<i64>,
    creation_timestamp: Option<Time>,
    labels: Option<BTreeMap<String, String>>,
    annotations: Option<BTreeMap<String, String>>,
    managed_fields: Option<Vec<WriteTime>>,
    owner_references: Option<Vec<Owner>>,
}

/// One owner reference: its kind and name, and whether it is the controller.
#[derive(Deserialize)]
struct Owner {
    kind: String,
    name: String,
    controller: Option<bool>,
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

/// One managedFields entry without its field set.
#[derive(Deserialize)]
struct WriteTime {
    manager: Option<String>,
    time: Option<Time>,
}

/// Decodes `metadata` keeping only what [`SlimMeta`] holds.
fn slim_meta<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ObjectMeta, D::Error> {
    let meta = SlimMeta::deserialize(deserializer)?;
    let written_by_tenantry = meta
        .managed_fields
        .into_iter()
        .flatten()
        .filter(|entry| entry.manager.as_deref() == Some(FIELD_MANAGER))
        .max_by_key(|entry| entry.time.as_ref().map(|time| time.0))
        .map(|entry| ManagedFieldsEntry { manager: entry.manager, time: entry.time, ..ManagedFieldsEntry::default() });
    let controller = meta.owner_references.into_iter().flatten().find(|owner| owner.controller == Some(true));
    let mut annotations = meta.annotations;
    if let Some(annotations) = annotations.as_mut() {
        annotations.retain(|key, _| !DROPPED_ANNOTATIONS.contains(&key.as_str()));
    }
    Ok(ObjectMeta {
        name: meta.name,
        namespace: meta.namespace,
        resource_version: meta.resource_version,
        generation: meta.generation,
        creation_timestamp: meta.creation_timestamp,
        labels: meta.labels,
        annotations,
        managed_fields: written_by_tenantry.map(|entry| vec![entry]),
        owner_references: controller.map(|owner| {
            vec![OwnerReference {
                kind: owner.kind,
                name: owner.name,
                controller: Some(true),
                ..OwnerReference::default()
            }]
        }),
        ..ObjectMeta::default()
    })
}

/// Implements the k8s-openapi traits that make a slim type with an `ObjectMeta` a
/// `kube::Resource`, and the store's key.
macro_rules! slim_resource {
    ($type:ty, $scope:ty, $group:literal, $version:literal, $kind:literal, $plural:literal) => {
        crate::inventory::objects::api_kind!($type, $scope, $group, $version, $kind, $plural);

        impl crate::inventory::store::Keyed for $type {
            fn location(&self) -> (Option<&str>, &str) {
                (self.metadata.namespace.as_deref(), self.metadata.name.as_deref().unwrap_or_default())
            }

            fn seen_version(&self) -> Option<&str> {
                self.metadata.resource_version.as_deref()
            }
        }

        impl k8s_openapi::Metadata for $type {
            type Ty = k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

            fn metadata(&self) -> &Self::Ty {
                &self.metadata
            }

            fn metadata_mut(&mut self) -> &mut Self::Ty {
                &mut self.metadata
            }
        }
    };
}
use slim_resource;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Object {
        #[serde(deserialize_with = "slim_meta")]
        metadata: ObjectMeta,
    }

    #[test]
    fn metadata_keeps_identity_and_tenantrys_last_write_time_only() {
        let object: Object = serde_json::from_value(serde_json::json!({"metadata": {
            "name": "acme", "uid": "u1", "resourceVersion": "42", "generation": 3,
            "creationTimestamp": "2026-11-01T10:00:00Z",
            "labels": {"tenantry.io/tenant": "acme"},
            "annotations": {"tenantry.io/revision": "2"},
            "managedFields": [
                {"manager": "kube-controller-manager", "time": "2026-11-01T10:00:01Z", "fieldsV1": {"f:status": {}}},
                {"manager": "tenantry", "operation": "Apply", "time": "2026-11-02T09:00:00Z",
                 "fieldsV1": {"f:metadata": {"f:labels": {}}}},
                {"manager": "tenantry", "operation": "Apply", "subresource": "scale", "time": "2026-11-01T08:00:00Z"}
            ]
        }}))
        .expect("decodes");
        let meta = object.metadata;
        assert_eq!(meta.name.as_deref(), Some("acme"));
        assert_eq!(meta.resource_version.as_deref(), Some("42"));
        assert_eq!(meta.uid, None);
        assert_eq!(meta.generation, Some(3));
        assert_eq!(meta.annotations.expect("annotations")["tenantry.io/revision"], "2");
        let written = meta.managed_fields.expect("tenantry's entry");
        assert_eq!(written.len(), 1);
        assert_eq!(written[0].manager.as_deref(), Some("tenantry"));
        assert!(written[0].fields_v1.is_none());
        assert_eq!(written[0].time.as_ref().map(|t| t.0.to_string()).as_deref(), Some("2026-11-02T09:00:00Z"));
    }

    #[test]
    fn metadata_keeps_the_controller_and_drops_kubectls_applied_copy() {
        let object: Object = serde_json::from_value(serde_json::json!({"metadata": {
            "name": "web-5d9f-x2k",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{...}", "note": "kept"},
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "ConfigMap", "name": "other", "uid": "u0"},
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d9f", "uid": "u1", "controller": true}
            ]
        }}))
        .expect("decodes");
        let meta = object.metadata;
        assert_eq!(meta.annotations.expect("annotations").keys().collect::<Vec<_>>(), ["note"]);
        let owners = meta.owner_references.expect("the controller");
        assert_eq!((owners.len(), owners[0].kind.as_str(), owners[0].name.as_str()), (1, "ReplicaSet", "web-5d9f"));
    }

    #[test]
    fn metadata_without_tenantrys_writes_has_no_managed_fields() {
        let object: Object = serde_json::from_value(
            serde_json::json!({"metadata": {"name": "x", "managedFields": [{"manager": "kubectl"}]}}),
        )
        .expect("decodes");
        assert!(object.metadata.managed_fields.is_none());
    }
}
