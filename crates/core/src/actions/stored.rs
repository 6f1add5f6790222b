//! Where a tenant's spec lives in the cluster: the namespace's `tenantry.io/spec` and
//! `tenantry.io/revision` annotations, and the `tenantry-history` ConfigMap holding the last
//! specs by revision, so that any machine can roll back.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::{Api, ResourceExt as _};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tenantry_model::TenantSpec;

use crate::labels::{BLUEPRINT_ANNOTATION, MANAGED_BY, REVISION_ANNOTATION, SPEC_ANNOTATION, TENANT_LABEL};

/// Namespace annotation: who wrote the current revision of the spec.
pub const CHANGED_BY_ANNOTATION: &str = "tenantry.io/changed-by";
/// Namespace annotation: when the current revision of the spec was written (RFC 3339).
pub const CHANGED_AT_ANNOTATION: &str = "tenantry.io/changed-at";
/// The history ConfigMap's name.
pub const HISTORY: &str = "tenantry-history";
/// Revisions kept in the history.
const KEPT_REVISIONS: usize = 20;

/// One revision of a tenant's spec as the history keeps it: the spec, who made it, when, with
/// which action and why. Entries written before these were recorded hold the bare spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    /// The spec of this revision.
    pub spec: TenantSpec,
    /// Who made it: the cluster identity and the OS user.
    #[serde(default)]
    pub by: String,
    /// When (RFC 3339).
    #[serde(default)]
    pub at: String,
    /// The action that made it (`scale`).
    #[serde(default)]
    pub action: String,
    /// The reason the user gave (e.g. a ticket number).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

impl Revision {
    /// A history entry as stored (this shape, or a bare spec from before); `None` when it is
    /// neither.
    fn parse(json: &str) -> Option<Self> {
        serde_json::from_str(json).ok().or_else(|| {
            let spec = serde_json::from_str(json).ok()?;
            Some(Self { spec, by: String::new(), at: String::new(), action: String::new(), reason: String::new() })
        })
    }
}

/// A tenant as stored in its cluster now.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// The spec annotation, if readable.
    pub spec: Option<TenantSpec>,
    /// The revision annotation (0 if absent).
    pub revision: u64,
    /// Who wrote the current revision and when, as the namespace says.
    pub changed: Changed,
    /// The history's revisions.
    pub history: BTreeMap<u64, Revision>,
    /// The fingerprint of the blueprint the spec was last applied with.
    pub blueprint: Option<String>,
    /// The Namespace's resource version: the spec is written only over this one.
    pub resource_version: Option<String>,
    /// The Namespace and history ConfigMap as read, for planning them without reading again.
    pub read: Vec<Value>,
}

/// Who wrote a revision of the spec, and when.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changed {
    /// The cluster identity and the OS user.
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
}

/// The tenant `id` as its cluster stores it, `None` when its namespace does not exist.
pub async fn read(client: &kube::Client, id: &str) -> Result<Option<Stored>, kube::Error> {
    let Some(namespace) = Api::<Namespace>::all(client.clone()).get_opt(id).await? else {
        return Ok(None);
    };
    let annotations = namespace.annotations();
    let annotation = |key: &str| annotations.get(key).cloned().unwrap_or_default();
    let spec = annotations.get(SPEC_ANNOTATION).and_then(|json| serde_json::from_str(json).ok());
    let revision = annotations.get(REVISION_ANNOTATION).and_then(|r| r.parse().ok()).unwrap_or(0);
    let changed = Changed { by: annotation(CHANGED_BY_ANNOTATION), at: annotation(CHANGED_AT_ANNOTATION) };
    let blueprint = annotations.get(BLUEPRINT_ANNOTATION).cloned();
    let resource_version = namespace.resource_version();
    let history_map = Api::<ConfigMap>::namespaced(client.clone(), id).get_opt(HISTORY).await?;
    let read = std::iter::once(serde_json::to_value(&namespace).ok())
        .chain(history_map.as_ref().map(|map| serde_json::to_value(map).ok()))
        .flatten()
        .collect();
    let history = history_map
        .and_then(|map| map.data)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(revision, json)| Some((revision.parse().ok()?, Revision::parse(&json)?)))
        .collect();
    Ok(Some(Stored { spec, revision, changed, history, blueprint, resource_version, read }))
}

/// The tenant's Namespace with its labels, the spec at `revision` with who wrote it, and the
/// fingerprint of the blueprint it is applied with; written only over `resource_version` when
/// given (a concurrent writer makes the write fail instead of being lost).
pub fn namespace(
    id: &str,
    spec_json: &str,
    revision: u64,
    changed: &Changed,
    blueprint: &str,
    resource_version: Option<&str>,
) -> Value {
    let mut namespace = json!({
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
    });
    // A tenant written before authors were recorded gets them with its next revision.
    for (key, value) in [(CHANGED_BY_ANNOTATION, &changed.by), (CHANGED_AT_ANNOTATION, &changed.at)] {
        if !value.is_empty() {
            namespace["metadata"]["annotations"][key] = json!(value);
        }
    }
    if let Some(version) = resource_version {
        namespace["metadata"]["resourceVersion"] = json!(version);
    }
    namespace
}

/// The history ConfigMap after recording `revision` as number `number`, keeping the newest
/// revisions.
pub fn history(id: &str, before: &BTreeMap<u64, Revision>, revision: &Revision, number: u64) -> Value {
    let mut kept = before.clone();
    kept.insert(number, revision.clone());
    let data: BTreeMap<String, String> = kept
        .into_iter()
        .rev()
        .take(KEPT_REVISIONS)
        .filter_map(|(number, revision)| Some((number.to_string(), serde_json::to_string(&revision).ok()?)))
        .collect();
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

    fn revision(version: &str) -> Revision {
        Revision {
            spec: TenantSpec { version: version.into(), ..TenantSpec::default() },
            by: "admin (ana)".into(),
            at: "2026-11-29T10:00:00Z".into(),
            action: "update".into(),
            reason: "TICKET-7".into(),
        }
    }

    #[test]
    fn the_history_keeps_the_newest_revisions_with_who_made_them() {
        let before: BTreeMap<u64, Revision> = (1..=20).map(|r| (r, revision(&r.to_string()))).collect();
        let map = history("alder", &before, &revision("21"), 21);
        let data = map["data"].as_object().expect("data");
        assert_eq!(data.len(), 20);
        assert!(!data.contains_key("1"));
        let newest = Revision::parse(data["21"].as_str().expect("text")).expect("an entry");
        assert_eq!(newest, revision("21"));
        assert_eq!(map["metadata"]["labels"]["tenantry.io/tenant"], "alder");
    }

    #[test]
    fn history_entries_written_before_the_author_was_recorded_still_read() {
        let bare = serde_json::to_string(&TenantSpec { version: "1".into(), ..TenantSpec::default() }).expect("json");
        let old = Revision::parse(&bare).expect("a bare spec");
        assert_eq!((old.spec.version.as_str(), old.by.as_str()), ("1", ""));
        assert_eq!(Revision::parse("{not json"), None);
    }

    #[test]
    fn the_namespace_carries_spec_revision_author_and_precondition() {
        let changed = Changed { by: "admin (ana)".into(), at: "2026-11-29T10:00:00Z".into() };
        let ns = namespace("alder", "{\"version\":\"1\"}", 3, &changed, "abc", Some("42"));
        assert_eq!(ns["metadata"]["annotations"]["tenantry.io/revision"], "3");
        assert_eq!(ns["metadata"]["annotations"]["tenantry.io/changed-by"], "admin (ana)");
        assert_eq!(ns["metadata"]["resourceVersion"], "42");
        assert_eq!(ns["metadata"]["labels"]["app.kubernetes.io/managed-by"], "tenantry");
        let unknown = namespace("alder", "{}", 1, &Changed::default(), "abc", None);
        assert!(unknown["metadata"].get("resourceVersion").is_none());
        assert!(unknown["metadata"]["annotations"].get("tenantry.io/changed-by").is_none(), "no empty author");
    }
}
