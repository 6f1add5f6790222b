//! Where a tenant's spec lives in the cluster: the namespace's `tenantry.io/spec` and
//! `tenantry.io/revision` annotations, and the `tenantry-history` ConfigMap holding the last
//! specs by revision, so that any machine can roll back. What is read there may have been
//! written by hand or by a broken tool: it is checked (size, JSON, fields this build knows,
//! revision range) and a problem is named instead of being read as "no spec".

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::{Api, ResourceExt as _};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tenantry_model::{Change, TenantSpec};

use crate::labels::{
    BLUEPRINT_ANNOTATION, FIELD_MANAGER, MANAGED_BY, REVISION_ANNOTATION, SPEC_ANNOTATION, TENANT_LABEL,
};

/// Namespace annotation: who wrote the current revision of the spec.
pub const CHANGED_BY_ANNOTATION: &str = "tenantry.io/changed-by";
/// Namespace annotation: when the current revision of the spec was written (RFC 3339).
pub const CHANGED_AT_ANNOTATION: &str = "tenantry.io/changed-at";
/// The history ConfigMap's name.
pub const HISTORY: &str = "tenantry-history";
/// Revisions kept in the history.
const KEPT_REVISIONS: usize = 20;
/// Bytes the history's entries may hold together (a ConfigMap holds at most 1 MiB).
const HISTORY_BYTES: usize = 256 * 1024;
/// Bytes of one spec (annotation or history entry); `validate::spec` keeps specs far below.
pub const SPEC_BYTES: usize = 64 * 1024;
/// The highest revision Tenantry counts to: exact in JSON numbers and SQLite integers.
pub const MAX_REVISION: u64 = 1 << 53;

/// Why the tenant as stored cannot be changed by an action; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoredError {
    /// The namespace exists but is not a Tenantry tenant (no `tenantry.io/tenant` label naming it).
    #[error(
        "namespace {id} exists but is not a Tenantry tenant ({made}); Tenantry leaves it alone (adopting an existing namespace is its own action)"
    )]
    NotATenant {
        /// The namespace.
        id: String,
        /// Who made it, as its managed fields say.
        made: String,
    },
    /// The tenancy rules exclude the namespace (a system one, or one under `never`).
    #[error("namespace {id} is excluded by the tenancy rules, so Tenantry does not make it a tenant")]
    Excluded {
        /// The namespace.
        id: String,
    },
    /// The spec or revision annotation cannot be used as it is.
    #[error(
        "the stored spec of {id} cannot be used: {problem}; roll back to a revision of its history or fix the annotation"
    )]
    Unreadable {
        /// The tenant.
        id: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The revision cannot be counted further.
    #[error("tenant {id} is at revision {revision}, the highest Tenantry counts to")]
    RevisionLimit {
        /// The tenant.
        id: String,
        /// Its revision.
        revision: u64,
    },
}

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
    /// neither, too large, or holds a spec with fields this build does not know.
    fn parse(json: &str) -> Option<Self> {
        if json.len() > SPEC_BYTES {
            return None;
        }
        let value: Value = serde_json::from_str(json).ok()?;
        match value.get("spec") {
            Some(spec) => {
                let spec = spec_from_value(spec.clone()).ok()?;
                let text = |key: &str| value.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
                Some(Self { spec, by: text("by"), at: text("at"), action: text("action"), reason: text("reason") })
            }
            None => {
                let spec = spec_from_value(value).ok()?;
                Some(Self { spec, by: String::new(), at: String::new(), action: String::new(), reason: String::new() })
            }
        }
    }
}

/// The spec annotation's text as a spec, or what is wrong with it: too large, not JSON, not a
/// spec, or holding fields this build does not know (a newer Tenantry's or a typo), which a
/// write would silently drop.
pub fn parse_spec(json: &str) -> Result<TenantSpec, String> {
    if json.len() > SPEC_BYTES {
        return Err(format!("the spec annotation is {} bytes, more than the {SPEC_BYTES} a spec may have", json.len()));
    }
    let value: Value = serde_json::from_str(json).map_err(|e| format!("the spec annotation is not JSON ({e})"))?;
    spec_from_value(value)
}

fn spec_from_value(value: Value) -> Result<TenantSpec, String> {
    let spec: TenantSpec =
        serde_json::from_value(value.clone()).map_err(|e| format!("the spec annotation is not a tenant spec ({e})"))?;
    let known = serde_json::to_value(&spec).unwrap_or(Value::Null);
    let mut unknown = Vec::new();
    unknown_fields("", &value, &known, &mut unknown);
    if unknown.is_empty() {
        Ok(spec)
    } else {
        Err(format!("the spec has fields this Tenantry does not know ({})", unknown.join(", ")))
    }
}

/// The paths of `read` that do not survive a round trip through the spec type (`known`).
fn unknown_fields(path: &str, read: &Value, known: &Value, found: &mut Vec<String>) {
    let (Value::Object(read), Value::Object(known)) = (read, known) else {
        return;
    };
    for (key, value) in read {
        let at = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
        match known.get(key) {
            Some(kept) => unknown_fields(&at, value, kept, found),
            None => found.push(at),
        }
    }
}

/// The revision annotation's text as a revision in Tenantry's range.
fn parse_revision(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(revision) if revision <= MAX_REVISION => Ok(revision),
        Ok(revision) => Err(format!("revision {revision} is beyond the highest Tenantry counts to ({MAX_REVISION})")),
        Err(_) => Err(format!("the revision annotation {text:?} is not a number")),
    }
}

/// A tenant as stored in its cluster now.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// Whether the namespace is Tenantry's: its `tenantry.io/tenant` label names it.
    pub owned: bool,
    /// The namespace's labels (which the tenancy rules read).
    pub labels: BTreeMap<String, String>,
    /// The sizes Tenantry remembered when it suspended a tenant without a blueprint.
    pub suspended_sizes: Option<String>,
    /// The GitOps controller that manages the namespace, if one does.
    pub gitops: Option<String>,
    /// Who made the namespace (the first field manager of its managed fields).
    pub made_by: Option<String>,
    /// The spec annotation, if present and readable.
    pub spec: Option<TenantSpec>,
    /// What is wrong with the spec or revision annotation, when something is.
    pub problem: Option<String>,
    /// The revision annotation (0 if absent).
    pub revision: u64,
    /// History entries that cannot be read (garbage, too large, a bad revision number); the
    /// next history write drops them.
    pub unreadable_history: Vec<String>,
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

/// Tenant `id`'s spec revision now, from its Namespace alone (0 without a namespace or a
/// readable revision).
pub async fn revision(client: &kube::Client, id: &str) -> Result<u64, kube::Error> {
    let namespace = Api::<Namespace>::all(client.clone()).get_opt(id).await?;
    let revision = namespace.as_ref().and_then(|ns| ns.annotations().get(REVISION_ANNOTATION).cloned());
    Ok(revision.and_then(|text| parse_revision(&text).ok()).unwrap_or(0))
}

/// The tenant `id` as its cluster stores it, `None` when its namespace does not exist.
pub async fn read(client: &kube::Client, id: &str) -> Result<Option<Stored>, kube::Error> {
    // Both at once: an absent namespace has no history either.
    let (namespaces, maps) = (Api::<Namespace>::all(client.clone()), Api::<ConfigMap>::namespaced(client.clone(), id));
    let (namespace, history_map) = futures::try_join!(namespaces.get_opt(id), maps.get_opt(HISTORY))?;
    let Some(namespace) = namespace else {
        return Ok(None);
    };
    let annotations = namespace.annotations();
    let annotation = |key: &str| annotations.get(key).cloned().unwrap_or_default();
    let owned = namespace.labels().get(TENANT_LABEL).map(String::as_str) == Some(id);
    let made_by = namespace.metadata.managed_fields.iter().flatten().find_map(|entry| entry.manager.clone());
    let spec = annotations.get(SPEC_ANNOTATION).map(|json| parse_spec(json)).transpose();
    let revision = annotations.get(REVISION_ANNOTATION).map(|text| parse_revision(text)).transpose();
    let problem = spec.as_ref().err().or(revision.as_ref().err()).cloned();
    let (spec, revision) = (spec.ok().flatten(), revision.ok().flatten().unwrap_or(0));
    let changed = Changed { by: annotation(CHANGED_BY_ANNOTATION), at: annotation(CHANGED_AT_ANNOTATION) };
    let blueprint = annotations.get(BLUEPRINT_ANNOTATION).cloned();
    let resource_version = namespace.resource_version();
    let read = std::iter::once(serde_json::to_value(&namespace).ok())
        .chain(history_map.as_ref().map(|map| serde_json::to_value(map).ok()))
        .flatten()
        .collect();
    let mut history = BTreeMap::new();
    let mut unreadable_history = Vec::new();
    for (key, json) in history_map.and_then(|map| map.data).unwrap_or_default() {
        match (parse_revision(&key), Revision::parse(&json)) {
            (Ok(number), Some(entry)) => {
                history.insert(number, entry);
            }
            _ => unreadable_history.push(key),
        }
    }
    Ok(Some(Stored {
        owned,
        labels: namespace.labels().clone(),
        suspended_sizes: annotations.get(super::unmanaged::SUSPENDED_SIZES_ANNOTATION).cloned(),
        gitops: crate::gitops::controller(&namespace.metadata.labels, &namespace.metadata.annotations),
        made_by,
        spec,
        problem,
        revision,
        unreadable_history,
        changed,
        history,
        blueprint,
        resource_version,
        read,
    }))
}

impl Stored {
    /// Refuses `change` on tenant `id` as stored: on a namespace that is not Tenantry's, and on
    /// an unusable spec (except a roll back to a readable revision, which repairs it).
    pub fn check(&self, id: &str, change: &Change) -> Result<(), StoredError> {
        if !self.owned {
            let made =
                self.made_by.as_ref().map_or_else(|| "made outside Tenantry".to_owned(), |m| format!("made by {m}"));
            return Err(StoredError::NotATenant { id: id.to_owned(), made });
        }
        if let Some(problem) = &self.problem
            && !matches!(change, Change::Rollback { .. })
        {
            return Err(StoredError::Unreadable { id: id.to_owned(), problem: problem.clone() });
        }
        Ok(())
    }

    /// The revision after this one.
    pub fn next_revision(&self, id: &str) -> Result<u64, StoredError> {
        Some(self.revision + 1)
            .filter(|next| *next <= MAX_REVISION)
            .ok_or(StoredError::RevisionLimit { id: id.to_owned(), revision: self.revision })
    }
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
/// revisions: at most [`KEPT_REVISIONS`] of them and [`HISTORY_BYTES`] together (the new one
/// always).
pub fn history(id: &str, before: &BTreeMap<u64, Revision>, revision: &Revision, number: u64) -> Value {
    let mut kept = before.clone();
    kept.insert(number, revision.clone());
    let mut data = BTreeMap::new();
    let mut bytes = 0;
    for (number, revision) in kept.into_iter().rev().take(KEPT_REVISIONS) {
        let Ok(json) = serde_json::to_string(&revision) else { continue };
        bytes += json.len();
        if bytes > HISTORY_BYTES && !data.is_empty() {
            break;
        }
        data.insert(number.to_string(), json);
    }
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": HISTORY, "namespace": id, "labels": {TENANT_LABEL: id, MANAGED_BY.0: MANAGED_BY.1}},
        "data": data,
    })
}

/// The entries of the live history (`kept` readable ones and `unreadable` ones) that the
/// history written as `written` no longer holds: another writer's entries are not removed by an
/// apply, so they are removed explicitly.
pub fn stale_history(kept: &BTreeMap<u64, Revision>, unreadable: &[String], written: &Value) -> Vec<String> {
    let holds = |key: &str| written["data"].get(key).is_some();
    kept.keys().map(ToString::to_string).chain(unreadable.iter().cloned()).filter(|key| !holds(key)).collect()
}

/// Removes history entries `keys` of tenant `id`.
pub async fn prune_history(client: &kube::Client, id: &str, keys: &[String]) -> Result<(), kube::Error> {
    if keys.is_empty() {
        return Ok(());
    }
    let removed: serde_json::Map<String, Value> = keys.iter().map(|key| (key.clone(), Value::Null)).collect();
    let patch = json!({"data": removed});
    let params = kube::api::PatchParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() };
    Api::<ConfigMap>::namespaced(client.clone(), id).patch(HISTORY, &params, &kube::api::Patch::Merge(&patch)).await?;
    Ok(())
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
    fn the_history_is_bounded_by_size_as_well_as_count() {
        let big = |n: u64| Revision {
            spec: TenantSpec {
                config: [("NOTES".to_owned(), "x".repeat(30 * 1024))].into(),
                ..revision(&n.to_string()).spec
            },
            ..revision(&n.to_string())
        };
        let before: BTreeMap<u64, Revision> = (1..=19).map(|r| (r, big(r))).collect();
        let map = history("alder", &before, &big(20), 20);
        let data = map["data"].as_object().expect("data");
        let bytes: usize = data.values().map(|v| v.as_str().map_or(0, str::len)).sum();
        assert!(bytes <= HISTORY_BYTES, "{bytes} bytes kept");
        let kept: Vec<&String> = data.keys().collect();
        assert_eq!(kept, ["13", "14", "15", "16", "17", "18", "19", "20"], "the newest that fit in 256 KiB");
    }

    #[test]
    fn hand_written_specs_and_revisions_are_named_not_dropped() {
        assert_eq!(parse_spec("{\"version\":\"1\"}").map(|s| s.version), Ok("1".into()));
        let refusals = [
            ("{not json", "is not JSON"),
            ("[1,2]", "is not a tenant spec"),
            ("{\"replicas\":\"two\"}", "is not a tenant spec"),
            ("{\"version\":\"1\",\"sidecar\":{}}", "does not know (sidecar)"),
            ("{\"backup\":{\"schedule\":\"x\",\"keepForever\":true}}", "(backup.keepForever)"),
        ];
        for (text, expected) in refusals {
            let problem = parse_spec(text).expect_err(text);
            assert!(problem.contains(expected), "{text}: {problem}");
        }
        let huge = format!("{{\"displayName\":\"{}\"}}", "x".repeat(SPEC_BYTES));
        assert!(parse_spec(&huge).expect_err("huge").contains("more than the 65536"));
        assert_eq!(parse_revision("7"), Ok(7));
        assert!(parse_revision("18446744073709551615").expect_err("max").contains("beyond"));
        assert!(parse_revision("18446744073709551616").expect_err("past u64").contains("not a number"));
        assert!(parse_revision("-1").expect_err("negative").contains("not a number"));
    }

    #[test]
    fn changes_on_what_is_not_usable_are_refused_except_a_repairing_roll_back() {
        let stored = |owned: bool, problem: Option<&str>, revision: u64| Stored {
            owned,
            labels: BTreeMap::new(),
            suspended_sizes: None,
            gitops: None,
            made_by: Some("kubectl-create".into()),
            spec: None,
            problem: problem.map(str::to_owned),
            revision,
            unreadable_history: Vec::new(),
            changed: Changed::default(),
            history: BTreeMap::new(),
            blueprint: None,
            resource_version: None,
            read: Vec::new(),
        };
        let create = Change::Create { spec: TenantSpec::default() };
        let foreign = stored(false, None, 0).check("shop", &create).expect_err("foreign").to_string();
        assert!(foreign.starts_with("namespace shop exists but is not a Tenantry tenant (made by kubectl-create)"));
        let garbage = stored(true, Some("the spec annotation is not JSON"), 3);
        assert!(matches!(garbage.check("shop", &create), Err(StoredError::Unreadable { .. })));
        assert_eq!(garbage.check("shop", &Change::Rollback { revision: 2 }), Ok(()));
        assert_eq!(stored(true, None, 4).next_revision("shop"), Ok(5));
        assert!(matches!(
            stored(true, None, MAX_REVISION).next_revision("shop"),
            Err(StoredError::RevisionLimit { .. })
        ));
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
