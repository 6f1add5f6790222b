//! The fleet's background drift check, cheap on purpose: every [`INTERVAL`] each cluster's
//! Tenantry-made objects are listed as metadata only (no specs, no Secret values), [`PAGE`] at
//! a time, and an object whose `spec` or `data` another writer (kubectl, a hand edit, a
//! colleague's script) owns in its managedFields marks its tenant drifted. With 1,000 tenants
//! a sweep is 7 kinds × 2 pages = 14 requests every 5 minutes, about 3 requests a minute. The
//! field-level picture is the server's dry run when a person opens the tenant.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ManagedFieldsEntry, ObjectMeta};
use kube::Api;
use kube::api::ListParams;
use serde_json::Value;
use tokio::sync::Notify;

use super::touched::Touched;
use crate::labels::{FIELD_MANAGER, managed_selector};

/// How often a cluster is swept.
pub const INTERVAL: Duration = Duration::from_secs(300);
/// How long after the first listing the first sweep waits (unless asked sooner), so that a
/// short-lived process — a CLI command, a benchmark — never spends requests on it.
const FIRST_SWEEP: Duration = Duration::from_secs(20);
/// Objects per listing page.
const PAGE: u32 = 500;
/// Writers that are the cluster's own, never drift (the HPA controller scales through them).
const SYSTEM_MANAGERS: [&str; 4] = ["kube-controller-manager", "kube-scheduler", "kubelet", "kube-apiserver"];
/// The parts of an object a blueprint renders; metadata a tool adds (an annotation) is not drift.
const RENDERED_PARTS: [&str; 3] = ["f:spec", "f:data", "f:binaryData"];

/// Each drifted tenant's namespace with what drifted, e.g. "Deployment app: spec.replicas
/// changed by kubectl at 2026-11-30T01:09:50Z".
pub type DriftMarks = Arc<Mutex<HashMap<String, String>>>;

/// Sweeps the cluster of `client` [`FIRST_SWEEP`] after `ready` resolves, then every [`INTERVAL`] or as soon as
/// `again` is notified (an action ended, a person checked a tenant), keeping `marks` current
/// and notifying `changed` (every row `touched`) when they change. Kinds the identity may not
/// list are skipped.
pub async fn run(
    client: kube::Client,
    marks: DriftMarks,
    changed: Arc<Notify>,
    touched: Arc<Touched>,
    again: Arc<Notify>,
    ready: impl Future<Output = ()> + Send,
) {
    ready.await;
    tokio::select! {
        () = tokio::time::sleep(FIRST_SWEEP) => {}
        () = again.notified() => {}
    }
    loop {
        let found = sweep(&client).await;
        let moved = {
            let mut marks = marks.lock().unwrap_or_else(PoisonError::into_inner);
            let moved = *marks != found;
            *marks = found;
            moved
        };
        if moved {
            touched.everything();
            changed.notify_one();
        }
        tokio::select! {
            () = tokio::time::sleep(INTERVAL) => {}
            () = again.notified() => {}
        }
    }
}

/// What drifted in every tenant of the cluster of `client`, by namespace.
async fn sweep(client: &kube::Client) -> HashMap<String, String> {
    let mut found = HashMap::new();
    visit(client, None, &mut |kind, meta| {
        if let (Some(namespace), Some(what)) = (meta.namespace.as_ref(), drifted(kind, meta)) {
            found.entry(namespace.clone()).or_insert(what);
        }
    })
    .await;
    found
}

/// Every write another writer made to a rendered field of a Tenantry object in `namespace`, as
/// `(Kind/name, write)`.
pub async fn namespace_writes(client: &kube::Client, namespace: &str) -> Vec<(String, ForeignWrite)> {
    let mut writes = Vec::new();
    visit(client, Some(namespace), &mut |kind, meta| {
        let name = meta.name.clone().unwrap_or_default();
        writes.extend(foreign_writes(meta).into_iter().map(|write| (format!("{kind}/{name}"), write)));
    })
    .await;
    writes
}

/// Hands the metadata of every Tenantry object of the rendered kinds (in `namespace`, or in
/// every namespace) to `visit` with its kind.
async fn visit(client: &kube::Client, namespace: Option<&str>, visit: &mut impl FnMut(&str, &ObjectMeta)) {
    list::<Deployment>(client, namespace, "Deployment", visit).await;
    list::<Service>(client, namespace, "Service", visit).await;
    list::<Ingress>(client, namespace, "Ingress", visit).await;
    list::<CronJob>(client, namespace, "CronJob", visit).await;
    list::<ConfigMap>(client, namespace, "ConfigMap", visit).await;
    list::<PersistentVolumeClaim>(client, namespace, "PersistentVolumeClaim", visit).await;
    list::<HorizontalPodAutoscaler>(client, namespace, "HorizontalPodAutoscaler", visit).await;
}

/// Lists the Tenantry objects of kind `K` as metadata, page by page; a kind the identity may
/// not list is skipped.
async fn list<K>(client: &kube::Client, namespace: Option<&str>, kind: &str, visit: &mut impl FnMut(&str, &ObjectMeta))
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned,
{
    let api: Api<K> = match namespace {
        Some(namespace) => Api::namespaced(client.clone(), namespace),
        None => Api::all(client.clone()),
    };
    let mut params = ListParams::default().labels(&managed_selector()).limit(PAGE);
    loop {
        let page = match tokio::time::timeout(crate::heartbeat::DEADLINE * 3, api.list_metadata(&params)).await {
            Ok(Ok(page)) => page,
            Ok(Err(error)) => {
                tracing::debug!(kind, error = %crate::error::chain(&error), "drift check: kind skipped");
                return;
            }
            Err(_) => return,
        };
        for item in &page.items {
            visit(kind, &item.metadata);
        }
        match page.metadata.continue_.filter(|token| !token.is_empty()) {
            Some(token) => params = params.continue_token(&token),
            None => return,
        }
    }
}

/// What drifted in one object: the first rendered field a writer other than Tenantry or the
/// cluster itself owns and Tenantry does not, with the writer and when.
pub fn drifted(kind: &str, meta: &ObjectMeta) -> Option<String> {
    let name = meta.name.as_deref().unwrap_or_default();
    foreign_writes(meta).into_iter().next().map(|write| {
        let at = write.at.map(|at| format!(" at {at}")).unwrap_or_default();
        format!("{kind} {name}: {} changed by {}{at}", write.path, write.manager)
    })
}

/// A rendered field another writer owns and Tenantry does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignWrite {
    /// The first such field of the writer, e.g. `spec.replicas`.
    pub path: String,
    /// The writer (field manager).
    pub manager: String,
    /// When it last wrote the object (RFC 3339), if the server recorded it.
    pub at: Option<String>,
}

/// Every writer of `meta`'s object that owns a rendered field Tenantry does not (a field both
/// own holds the value Tenantry applied: a later change by another writer takes it from
/// Tenantry), each with its first such field.
pub fn foreign_writes(meta: &ObjectMeta) -> Vec<ForeignWrite> {
    let entries = meta.managed_fields.as_deref().unwrap_or_default();
    let ours: Vec<&Value> = entries
        .iter()
        .filter(|e| e.manager.as_deref() == Some(FIELD_MANAGER))
        .filter_map(|e| e.fields_v1.as_ref().map(|f| &f.0))
        .collect();
    entries
        .iter()
        .filter(|entry| foreign(entry))
        .filter_map(|entry| {
            let fields = &entry.fields_v1.as_ref()?.0;
            let path = RENDERED_PARTS.iter().find_map(|part| {
                let below = fields.get(*part)?;
                let mine: Vec<&Value> = ours.iter().filter_map(|o| o.get(*part)).collect();
                unshared(below, &mine).map(|rest| format!("{}{rest}", part.trim_start_matches("f:")))
            })?;
            let manager = entry.manager.clone().unwrap_or_else(|| "an unnamed writer".to_owned());
            Some(ForeignWrite { path, manager, at: entry.time.as_ref().map(|t| t.0.to_string()) })
        })
        .collect()
}

/// Whether `entry` is a writer whose fields may be drift: not Tenantry, not the cluster, not a
/// status write.
fn foreign(entry: &ManagedFieldsEntry) -> bool {
    let manager = entry.manager.as_deref().unwrap_or_default();
    manager != FIELD_MANAGER && !SYSTEM_MANAGERS.contains(&manager) && entry.subresource.as_deref() != Some("status")
}

/// The path (below the node) of the first field of the field set `theirs` that none of the
/// field sets `ours` holds, e.g. `.template.spec.containers[app].image`.
fn unshared(theirs: &Value, ours: &[&Value]) -> Option<String> {
    let children = theirs.as_object()?;
    let fields: Vec<(&String, &Value)> = children.iter().filter(|(k, _)| k.as_str() != ".").collect();
    if fields.is_empty() {
        return ours.is_empty().then(String::new);
    }
    fields.into_iter().find_map(|(key, below)| {
        let mine: Vec<&Value> = ours.iter().filter_map(|o| o.get(key)).collect();
        unshared(below, &mine).map(|rest| format!("{}{rest}", segment(key)))
    })
}

/// One key of a managedFields field set as a path segment: `.image`, `[app]`, `[…]`.
fn segment(key: &str) -> String {
    match key.split_once(':') {
        Some(("f", field)) => format!(".{field}"),
        Some(("k", selector)) => {
            let named = serde_json::from_str::<Value>(selector)
                .ok()
                .and_then(|v| v.get("name").and_then(Value::as_str).map(str::to_owned));
            format!("[{}]", named.unwrap_or_else(|| "…".to_owned()))
        }
        _ => "[…]".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::FieldsV1;
    use serde_json::json;

    use super::*;

    fn entry(manager: &str, subresource: Option<&str>, fields: Value) -> ManagedFieldsEntry {
        ManagedFieldsEntry {
            manager: Some(manager.into()),
            subresource: subresource.map(str::to_owned),
            fields_v1: Some(FieldsV1(fields)),
            operation: Some("Update".into()),
            ..ManagedFieldsEntry::default()
        }
    }

    fn meta(entries: Vec<ManagedFieldsEntry>) -> ObjectMeta {
        ObjectMeta { name: Some("app".into()), managed_fields: Some(entries), ..ObjectMeta::default() }
    }

    #[test]
    fn a_spec_field_of_another_writer_is_drift_named_by_path_and_writer() {
        let set_image = json!({"f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {".": {}, "f:image": {}}}}}}});
        let found = drifted(
            "Deployment",
            &meta(vec![entry("tenantry", None, json!({"f:spec": {}})), entry("kubectl-set", None, set_image)]),
        );
        assert_eq!(
            found.as_deref(),
            Some("Deployment app: spec.template.spec.containers[app].image changed by kubectl-set")
        );
        let scaled =
            drifted("Deployment", &meta(vec![entry("kubectl", Some("scale"), json!({"f:spec": {"f:replicas": {}}}))]));
        assert_eq!(scaled.as_deref(), Some("Deployment app: spec.replicas changed by kubectl"));
    }

    #[test]
    fn a_field_tenantry_also_owns_holds_its_value_and_is_not_drift() {
        let image =
            json!({"f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {"f:image": {}}}}}}});
        let both = meta(vec![entry("tenantry", None, image.clone()), entry("kubectl-set", None, image)]);
        assert_eq!(drifted("Deployment", &both), None);
    }

    #[test]
    fn tenantry_the_cluster_status_and_annotations_are_not_drift() {
        let fine = meta(vec![
            entry("tenantry", None, json!({"f:spec": {"f:replicas": {}}})),
            entry("kube-controller-manager", Some("scale"), json!({"f:spec": {"f:replicas": {}}})),
            entry("kubectl", Some("status"), json!({"f:spec": {"f:x": {}}})),
            entry("kubectl-annotate", None, json!({"f:metadata": {"f:annotations": {"f:note": {}}}})),
        ]);
        assert_eq!(drifted("Deployment", &fine), None);
    }
}
