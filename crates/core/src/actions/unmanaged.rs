//! Actions on a tenant Tenantry did not create (a namespace the tenancy rules make a tenant,
//! without Tenantry's label and spec): scale one workload, restart all or one, suspend every
//! workload (each size remembered on the namespace) and resume, back up now with the
//! namespace's backup CronJob, delete. Sizes and the remembered sizes are planned as
//! server-side applies of just those fields, so the server's dry run, the ownership rule (a
//! controller of record's field is a conflict, a kubectl edit is drift taken back) and the
//! preview work as for a blueprint's objects.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use kube::api::{Api, ListParams};
use serde_json::{Value, json};
use tenantry_model::{Change, FieldChange, ObjectChange, Operation};

use super::ActionError;
use super::restart::RESTARTED_AT;
use crate::labels::now;

/// Namespace annotation: the size of each workload before Tenantry suspended the tenant, as
/// JSON `{"Deployment/web": 2, …}`; resume scales each back and removes it.
pub const SUSPENDED_SIZES_ANNOTATION: &str = "tenantry.io/suspended-sizes";

/// Why an action on a tenant without a blueprint cannot be planned; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnmanagedError {
    /// The action changes the spec, which the tenant does not have.
    #[error(
        "{action} needs a Tenantry spec, and {id} was made outside Tenantry: adopt it with a blueprint first (scale, restart, suspend, resume, back up and delete work without one)"
    )]
    NeedsSpec {
        /// The tenant.
        id: String,
        /// The action, e.g. "update".
        action: String,
    },
    /// No workload has that name.
    #[error("{id} has no workload {wanted:?}; its workloads: {known}")]
    NoSuchWorkload {
        /// The tenant.
        id: String,
        /// The name asked for.
        wanted: String,
        /// The workloads it has.
        known: String,
    },
    /// The tenant runs several workloads and the action must say which.
    #[error("{id} runs several workloads; say which to scale: {known}")]
    ChooseWorkload {
        /// The tenant.
        id: String,
        /// The workloads it has.
        known: String,
    },
    /// Autoscaling bounds need an autoscaler the tenant does not have.
    #[error("{id} has no blueprint to render an autoscaler; scale a workload to a number of pods")]
    NoAutoscaler {
        /// The tenant.
        id: String,
    },
    /// A size out of range.
    #[error("pods must be between 0 and {max} (got {got})")]
    BadSize {
        /// The most pods one workload may be scaled to.
        max: i32,
        /// What was asked.
        got: i32,
    },
    /// The tenant has no Deployment or StatefulSet.
    #[error("{id} has no Deployment or StatefulSet to {action}")]
    NoWorkload {
        /// The tenant.
        id: String,
        /// The action.
        action: String,
    },
    /// Suspend on a suspended tenant.
    #[error("{id} is already suspended by Tenantry; resume it first")]
    AlreadySuspended {
        /// The tenant.
        id: String,
    },
    /// Resume on a tenant Tenantry did not suspend.
    #[error("{id} was not suspended by Tenantry, so no sizes are remembered; scale its workloads instead")]
    NotSuspended {
        /// The tenant.
        id: String,
    },
    /// The input is invalid (e.g. the typed confirmation).
    #[error(transparent)]
    Invalid(#[from] super::validate::InvalidInput),
    /// The remembered sizes cannot be read.
    #[error("the sizes remembered on {id} ({SUSPENDED_SIZES_ANNOTATION}) cannot be read: {problem}")]
    BadSizes {
        /// The tenant.
        id: String,
        /// What is wrong.
        problem: String,
    },
}

/// The most pods Tenantry scales one workload of a tenant without a blueprint to.
pub const MAX_PODS: i32 = 100;

/// One workload of a tenant as read for an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// `Deployment` or `StatefulSet`.
    pub kind: &'static str,
    /// Its name.
    pub name: String,
    /// Pods it asks for.
    pub replicas: i32,
    /// The GitOps controller that manages it, if one does.
    pub gitops: Option<String>,
    /// The version it runs, from its labels or image tag.
    pub version: Option<String>,
}

impl Workload {
    /// `Kind/name`, as the remembered sizes and requests name it.
    pub fn key(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }

    /// The object that sets its size to `replicas`, and nothing else.
    pub fn scaled(&self, id: &str, replicas: i32) -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": self.kind,
            "metadata": {"name": self.name, "namespace": id},
            "spec": {"replicas": replicas},
        })
    }

    /// The resource its permissions are asked for.
    pub fn resource(&self) -> &'static str {
        if self.kind == "StatefulSet" { "statefulsets" } else { "deployments" }
    }
}

/// The Deployments and StatefulSets of namespace `id`, sorted by kind and name.
pub async fn workloads(client: &kube::Client, id: &str) -> Result<Vec<Workload>, ActionError> {
    let failed = |source| ActionError::Cluster { what: format!("cannot list the workloads of {id}"), source };
    let deployments =
        Api::<Deployment>::namespaced(client.clone(), id).list(&ListParams::default()).await.map_err(failed)?;
    let sets = Api::<StatefulSet>::namespaced(client.clone(), id).list(&ListParams::default()).await.map_err(failed)?;
    let mut found: Vec<Workload> = deployments
        .items
        .iter()
        .map(|d| {
            let template = d.spec.as_ref().and_then(|s| s.template.spec.as_ref());
            described("Deployment", &d.metadata, d.spec.as_ref().and_then(|s| s.replicas), template)
        })
        .chain(sets.items.iter().map(|s| {
            let template = s.spec.as_ref().and_then(|s| s.template.spec.as_ref());
            described("StatefulSet", &s.metadata, s.spec.as_ref().and_then(|s| s.replicas), template)
        }))
        .collect();
    found.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    Ok(found)
}

/// A workload as an action reads it.
fn described(
    kind: &'static str,
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    replicas: Option<i32>,
    pod: Option<&k8s_openapi::api::core::v1::PodSpec>,
) -> Workload {
    let name = meta.name.clone().unwrap_or_default();
    let images: Vec<String> = pod.iter().flat_map(|p| &p.containers).filter_map(|c| c.image.clone()).collect();
    let version = crate::inventory::workload_version(kind, &name, &meta.labels, &images).map(|(v, _)| v);
    let gitops = crate::gitops::controller(&meta.labels, &meta.annotations);
    Workload { kind, name, replicas: replicas.unwrap_or(1), gitops, version }
}

/// The workload of `workloads` that `wanted` names: `Kind/name`, or a name only one has.
pub fn choose<'a>(id: &str, workloads: &'a [Workload], wanted: &str) -> Result<&'a Workload, UnmanagedError> {
    let matching: Vec<&Workload> =
        workloads.iter().filter(|w| w.key().eq_ignore_ascii_case(wanted) || w.name == wanted).collect();
    match matching.as_slice() {
        [one] => Ok(one),
        [] => Err(UnmanagedError::NoSuchWorkload {
            id: id.to_owned(),
            wanted: wanted.to_owned(),
            known: known(workloads),
        }),
        _ => Err(UnmanagedError::ChooseWorkload {
            id: id.to_owned(),
            known: known(&matching.into_iter().cloned().collect::<Vec<_>>()),
        }),
    }
}

/// The key of `keys` (`Kind/name`) that `wanted` names (`Kind/name` or a name only one has),
/// or the only key when nothing is named.
pub fn resolve(id: &str, keys: &[String], wanted: Option<&str>) -> Result<String, UnmanagedError> {
    let listed = || if keys.is_empty() { "none".to_owned() } else { keys.join(", ") };
    let Some(wanted) = wanted else {
        return match keys {
            [only] => Ok(only.clone()),
            _ => Err(UnmanagedError::ChooseWorkload { id: id.to_owned(), known: listed() }),
        };
    };
    let matching: Vec<&String> = keys
        .iter()
        .filter(|key| key.eq_ignore_ascii_case(wanted) || key.split_once('/').is_some_and(|(_, name)| name == wanted))
        .collect();
    match matching.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(UnmanagedError::NoSuchWorkload { id: id.to_owned(), wanted: wanted.to_owned(), known: listed() }),
        _ => Err(UnmanagedError::ChooseWorkload { id: id.to_owned(), known: listed() }),
    }
}

/// The workloads a recorded spec (a tenant adopted without a blueprint) sizes: each set to its
/// recorded size, or to zero while the tenant is suspended.
pub fn recorded_sizes(id: &str, spec: &tenantry_model::TenantSpec) -> Vec<Value> {
    spec.workloads
        .iter()
        .filter_map(|(key, size)| {
            let (kind, name) = key.split_once('/')?;
            let replicas = if spec.suspended { 0 } else { *size };
            Some(json!({
                "apiVersion": "apps/v1",
                "kind": kind,
                "metadata": {"name": name, "namespace": id},
                "spec": {"replicas": replicas},
            }))
        })
        .collect()
}

/// The workloads as a list for a message.
pub fn known(workloads: &[Workload]) -> String {
    if workloads.is_empty() {
        return "none".into();
    }
    workloads.iter().map(Workload::key).collect::<Vec<_>>().join(", ")
}

/// What `change` does to a tenant without a blueprint whose workloads are `workloads` and
/// whose namespace remembers `remembered` (the sizes annotation, if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Steps {
    /// Set these sizes, and write (`Some`) or remove (`Some(None)`) the remembered sizes.
    Resize {
        /// Workload and its new size.
        sizes: Vec<(Workload, i32)>,
        /// The sizes annotation to write: `Some(Some(json))`, removed: `Some(None)`.
        remember: Option<Option<String>>,
    },
    /// Stamp these workloads' pod templates so their pods are replaced.
    Restart(Vec<Workload>),
    /// Take backup `.0` with the namespace's backup CronJob.
    Backup(String),
    /// Delete the namespace.
    Delete,
}

/// The steps of `change` on tenant `id`.
pub fn steps(
    id: &str,
    change: &Change,
    workloads: &[Workload],
    remembered: Option<&str>,
) -> Result<Steps, ActionError> {
    let none = |action: &str| UnmanagedError::NoWorkload { id: id.to_owned(), action: action.to_owned() };
    match change {
        Change::Scale { autoscaling: Some(_), .. } => Err(UnmanagedError::NoAutoscaler { id: id.to_owned() }.into()),
        Change::Scale { replicas: Some(replicas), workload, .. } => {
            if !(0..=MAX_PODS).contains(replicas) {
                return Err(UnmanagedError::BadSize { max: MAX_PODS, got: *replicas }.into());
            }
            let target = match (workload, workloads) {
                (Some(wanted), _) => choose(id, workloads, wanted)?,
                (None, [only]) => only,
                (None, []) => return Err(none("scale").into()),
                (None, _) => {
                    return Err(UnmanagedError::ChooseWorkload { id: id.to_owned(), known: known(workloads) }.into());
                }
            };
            Ok(Steps::Resize { sizes: vec![(target.clone(), *replicas)], remember: None })
        }
        Change::Scale { .. } => Err(UnmanagedError::BadSize { max: MAX_PODS, got: 0 }.into()),
        Change::Restart { workload, .. } => {
            let chosen: Vec<Workload> = match workload {
                Some(wanted) => vec![choose(id, workloads, wanted)?.clone()],
                None => workloads.iter().filter(|w| w.replicas > 0).cloned().collect(),
            };
            if chosen.is_empty() {
                return Err(none("restart").into());
            }
            Ok(Steps::Restart(chosen))
        }
        Change::Suspend => {
            let running: Vec<&Workload> = workloads.iter().filter(|w| w.replicas > 0).collect();
            match (remembered, running.is_empty()) {
                (Some(_), true) => return Err(UnmanagedError::AlreadySuspended { id: id.to_owned() }.into()),
                // A suspend that ended after remembering the sizes: scale down the rest.
                (Some(_), false) => {
                    let sizes = running.into_iter().map(|w| (w.clone(), 0)).collect();
                    return Ok(Steps::Resize { sizes, remember: None });
                }
                (None, true) => return Err(none("suspend (every workload is at zero already)").into()),
                (None, false) => {}
            }
            let sizes: BTreeMap<String, i32> = running.iter().map(|w| (w.key(), w.replicas)).collect();
            let remember = serde_json::to_string(&sizes).unwrap_or_default();
            Ok(Steps::Resize {
                sizes: running.into_iter().map(|w| (w.clone(), 0)).collect(),
                remember: Some(Some(remember)),
            })
        }
        Change::Resume => {
            let Some(text) = remembered else {
                return Err(UnmanagedError::NotSuspended { id: id.to_owned() }.into());
            };
            let bad = |problem: String| UnmanagedError::BadSizes { id: id.to_owned(), problem };
            let sizes: BTreeMap<String, i32> =
                serde_json::from_str(text).map_err(|e| bad(format!("not a map of sizes ({e})")))?;
            let mut resized = Vec::new();
            for (key, size) in sizes {
                if !(0..=MAX_PODS).contains(&size) {
                    return Err(bad(format!("{key}: {size} pods is out of range")).into());
                }
                // A workload removed while suspended has nothing to resume.
                if let Some(workload) = workloads.iter().find(|w| w.key() == key) {
                    resized.push((workload.clone(), size));
                }
            }
            Ok(Steps::Resize { sizes: resized, remember: Some(None) })
        }
        Change::Backup { backup } => Ok(Steps::Backup(backup.clone())),
        Change::Delete { confirm } => {
            super::validate::confirmation(id, confirm).map_err(UnmanagedError::from)?;
            Ok(Steps::Delete)
        }
        other => Err(UnmanagedError::NeedsSpec { id: id.to_owned(), action: other.kind().name().to_owned() }.into()),
    }
}

/// The Namespace with only the remembered sizes annotation (`None` applies it without, which
/// removes the annotation Tenantry wrote).
pub fn remembered_sizes(id: &str, sizes: Option<&str>) -> Value {
    let annotations = match sizes {
        Some(sizes) => json!({SUSPENDED_SIZES_ANNOTATION: sizes}),
        None => json!({}),
    };
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": id, "annotations": annotations}})
}

/// How a restart of `workload` shows in the preview.
pub fn restart_shown(workload: &Workload) -> ObjectChange {
    ObjectChange {
        kind: workload.kind.to_owned(),
        name: workload.name.clone(),
        operation: Operation::Update,
        fields: vec![FieldChange {
            path: format!("spec.template.metadata.annotations.{RESTARTED_AT}"),
            before: None,
            after: Some(now()),
        }],
        drift: Vec::new(),
    }
}

/// The sentence of a finished action on tenant `id` of `context`.
pub fn done(id: &str, context: &str, steps: &Steps, change: &Change) -> String {
    match (steps, change) {
        (Steps::Resize { .. }, Change::Suspend) => {
            format!("Suspended {id} on {context}; no pod runs, each size is remembered.")
        }
        (Steps::Resize { sizes, .. }, Change::Resume) => {
            format!("Resumed {id} on {context}: {} workloads back at their sizes.", sizes.len())
        }
        (Steps::Resize { sizes, .. }, _) => {
            let scaled: Vec<String> = sizes.iter().map(|(w, n)| format!("{} to {n} pods", w.key())).collect();
            format!("Scaled {} of {id} on {context}.", scaled.join(", "))
        }
        (Steps::Restart(workloads), _) => {
            format!("Restarted {} of {id} on {context}; every pod was replaced.", known(workloads))
        }
        (Steps::Backup(backup), _) => format!("Backed up {id} on {context} as {backup}."),
        (Steps::Delete, _) => format!("Deleted {id} from {context}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workload(kind: &'static str, name: &str, replicas: i32) -> Workload {
        Workload { kind, name: name.into(), replicas, gitops: None, version: None }
    }

    fn fleet() -> Vec<Workload> {
        vec![workload("Deployment", "web", 2), workload("Deployment", "worker", 0), workload("StatefulSet", "db", 1)]
    }

    fn scale(replicas: i32, workload: Option<&str>) -> Change {
        Change::Scale { replicas: Some(replicas), autoscaling: None, workload: workload.map(str::to_owned) }
    }

    fn message(result: Result<Steps, ActionError>) -> String {
        result.expect_err("refused").to_string()
    }

    #[test]
    fn scale_names_its_workload_unless_there_is_one() {
        let fleet = fleet();
        let Ok(Steps::Resize { sizes, remember: None }) =
            steps("shop", &scale(3, Some("StatefulSet/db")), &fleet, None)
        else {
            panic!("a resize")
        };
        assert_eq!((sizes[0].0.key(), sizes[0].1), ("StatefulSet/db".to_owned(), 3));
        assert!(matches!(steps("shop", &scale(3, Some("web")), &fleet, None), Ok(Steps::Resize { .. })));
        assert!(message(steps("shop", &scale(3, None), &fleet, None)).contains("say which to scale: Deployment/web"));
        assert!(message(steps("shop", &scale(3, Some("api")), &fleet, None)).contains("has no workload \"api\""));
        assert!(message(steps("shop", &scale(101, Some("web")), &fleet, None)).contains("between 0 and 100"));
        let only = [workload("Deployment", "web", 1)];
        assert!(matches!(steps("shop", &scale(2, None), &only, None), Ok(Steps::Resize { .. })));
    }

    #[test]
    fn suspend_remembers_each_running_size_and_resume_restores_it() {
        let fleet = fleet();
        let Ok(Steps::Resize { sizes, remember: Some(Some(remembered)) }) =
            steps("shop", &Change::Suspend, &fleet, None)
        else {
            panic!("a suspend")
        };
        assert_eq!(
            sizes.iter().map(|(w, n)| (w.key(), *n)).collect::<Vec<_>>(),
            [("Deployment/web".to_owned(), 0), ("StatefulSet/db".to_owned(), 0)]
        );
        assert_eq!(remembered, r#"{"Deployment/web":2,"StatefulSet/db":1}"#);
        let halfway = [workload("Deployment", "web", 0), workload("StatefulSet", "db", 1)];
        let Ok(Steps::Resize { sizes, remember: None }) = steps("shop", &Change::Suspend, &halfway, Some(&remembered))
        else {
            panic!("a suspend that ended early goes on")
        };
        assert_eq!(sizes.iter().map(|(w, n)| (w.key(), *n)).collect::<Vec<_>>(), [("StatefulSet/db".to_owned(), 0)]);
        let stopped = [workload("Deployment", "web", 0), workload("StatefulSet", "db", 0)];
        assert!(message(steps("shop", &Change::Suspend, &stopped, Some(&remembered))).contains("already suspended"));
        let Ok(Steps::Resize { sizes, remember: Some(None) }) =
            steps("shop", &Change::Resume, &fleet, Some(&remembered))
        else {
            panic!("a resume")
        };
        assert_eq!(
            sizes.iter().map(|(w, n)| (w.key(), *n)).collect::<Vec<_>>(),
            [("Deployment/web".to_owned(), 2), ("StatefulSet/db".to_owned(), 1)]
        );
        assert!(message(steps("shop", &Change::Resume, &fleet, None)).contains("not suspended by Tenantry"));
        assert!(
            message(steps("shop", &Change::Resume, &fleet, Some("{\"Deployment/web\": 1e9}")))
                .contains("cannot be read")
        );
        assert!(
            message(steps("shop", &Change::Resume, &fleet, Some("{\"Deployment/web\": 5000}")))
                .contains("out of range")
        );
    }

    #[test]
    fn spec_changes_need_an_adoption_and_delete_its_confirmation() {
        let fleet = fleet();
        let update = Change::version_update(Some("2".into()));
        assert!(message(steps("shop", &update, &fleet, None)).contains("update needs a Tenantry spec"));
        assert!(
            message(steps("shop", &Change::Delete { confirm: "shp".into() }, &fleet, None))
                .contains("type the tenant id")
        );
        assert_eq!(steps("shop", &Change::Delete { confirm: "shop".into() }, &fleet, None).ok(), Some(Steps::Delete));
        let Ok(Steps::Restart(all)) = steps("shop", &Change::Restart { workload: None, stamp: None }, &fleet, None)
        else {
            panic!("a restart")
        };
        assert_eq!(known(&all), "Deployment/web, StatefulSet/db", "those that run");
    }
}
