//! Where a tenant's spec lives in the cluster: the namespace's `tenantry.io/spec` and
//! `tenantry.io/revision` annotations, and the `tenantry-history` ConfigMap holding the last
//! specs by revision, so that any machine can roll back.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::{Api, ResourceExt as _};
use serde_json::{Value, json};
use tenantry_model::TenantSpec;

use crate::inventory::{MANAGED_BY, REVISION_ANNOTATION, SPEC_ANNOTATION, TENANT_LABEL};

/// Namespace annotation: the fingerprint of the blueprint the spec was last applied with.
pub const BLUEPRINT_ANNOTATION: &str = "tenantry.io/blueprint-fingerprint";
/// The history ConfigMap's name.
pub const HISTORY: &str = "tenantry-history";
/// Revisions kept in the history.
const KEPT_REVISIONS: usize = 20;

/// A tenant as stored in its cluster now.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// The spec annotation, if readable.
    pub spec: Option<TenantSpec>,
    /// The revision annotation (0 if absent).
    pub revision: u64,
    /// The history's specs (JSON) by revision.
    pub history: BTreeMap<u64, String>,
    /// The fingerprint of the blueprint the spec was last applied with.
    pub blueprint: Option<String>,
    /// The Namespace and history ConfigMap as read, for planning them without reading again.
    pub read: Vec<Value>,
}

/// The tenant `id` as its cluster stores it, `None` when its namespace does not exist.
pub async fn read(client: &kube::Client, id: &str) -> Result<Option<Stored>, kube::Error> {
    let Some(namespace) = Api::<Namespace>::all(client.clone()).get_opt(id).await? else {
        return Ok(None);
    };
    let annotations = namespace.annotations();
    let spec = annotations.get(SPEC_ANNOTATION).and_then(|json| serde_json::from_str(json).ok());
    let revision = annotations.get(REVISION_ANNOTATION).and_then(|r| r.parse().ok()).unwrap_or(0);
    let blueprint = annotations.get(BLUEPRINT_ANNOTATION).cloned();
    let history_map = Api::<ConfigMap>::namespaced(client.clone(), id).get_opt(HISTORY).await?;
    let read = std::iter::once(serde_json::to_value(&namespace).ok())
        .chain(history_map.as_ref().map(|map| serde_json::to_value(map).ok()))
        .flatten()
        .collect();
    let history = history_map
        .and_then(|map| map.data)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(revision, spec)| Some((revision.parse().ok()?, spec)))
        .collect();
    Ok(Some(Stored { spec, revision, history, blueprint, read }))
}

/// The tenant's Namespace with its labels, the spec at `revision`, and the fingerprint of the
/// blueprint it is applied with.
pub fn namespace(id: &str, spec_json: &str, revision: u64, blueprint: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": id,
            "labels": {TENANT_LABEL: id, MANAGED_BY.0: MANAGED_BY.1},
            "annotations": {
                SPEC_ANNOTATION: spec_json,
                REVISION_ANNOTATION: revision.to_string(),
                BLUEPRINT_ANNOTATION: blueprint,
            },
        },
    })
}

/// The history ConfigMap after recording `spec_json` as `revision`, keeping the newest
/// revisions.
pub fn history(id: &str, before: &BTreeMap<u64, String>, spec_json: &str, revision: u64) -> Value {
    let mut kept = before.clone();
    kept.insert(revision, spec_json.to_owned());
    let data: BTreeMap<String, String> =
        kept.into_iter().rev().take(KEPT_REVISIONS).map(|(revision, spec)| (revision.to_string(), spec)).collect();
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": HISTORY, "namespace": id, "labels": {TENANT_LABEL: id, MANAGED_BY.0: MANAGED_BY.1}},
        "data": data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_keeps_the_newest_revisions() {
        let before: BTreeMap<u64, String> = (1..=20).map(|r| (r, format!("spec {r}"))).collect();
        let map = history("alder", &before, "spec 21", 21);
        let data = map["data"].as_object().expect("data");
        assert_eq!(data.len(), 20);
        assert!(!data.contains_key("1"));
        assert_eq!(data["21"], "spec 21");
        assert_eq!(map["metadata"]["labels"]["tenantry.io/tenant"], "alder");
    }

    #[test]
    fn the_namespace_carries_spec_and_revision() {
        let ns = namespace("alder", "{\"version\":\"1\"}", 3, "abc");
        assert_eq!(ns["metadata"]["annotations"]["tenantry.io/revision"], "3");
        assert_eq!(ns["metadata"]["labels"]["app.kubernetes.io/managed-by"], "tenantry");
    }
}
