//! Who else writes the fields Tenantry renders, and the one rule for them: a field manager the
//! user declares a controller of record (default: Helm, Argo CD, Flux) makes a conflict to
//! review, never overwritten without "take over"; any other manager (kubectl, a hand edit) is
//! drift, shown in the preview with the manager and the time, and taken back when the user
//! applies. The `scale` subresource never reports a conflict by itself, so ownership is read
//! from the server-side apply dry run's conflict causes, each naming a field and its manager.

use std::path::{Path, PathBuf};

use kube::core::Status;
use serde_json::Value;
use tenantry_model::Drift;

/// Field managers of the controllers of record Tenantry knows by default: Helm (`helm`, Flux's
/// `helm-controller`), Argo CD (`argocd-controller`, `argocd-application-controller`) and Flux
/// (`kustomize-controller`).
pub const DEFAULT_CONTROLLERS: [&str; 4] = ["helm", "argocd", "kustomize-controller", "flux"];

/// The field managers whose fields are never taken over without the user saying so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllersOfRecord(Vec<String>);

impl Default for ControllersOfRecord {
    fn default() -> Self {
        Self(DEFAULT_CONTROLLERS.iter().map(|name| (*name).to_owned()).collect())
    }
}

/// Why the file of controllers of record cannot be used (the defaults stay in force).
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}; the default controllers of record (Helm, Argo CD, Flux) stay in force", path.display())]
pub struct ControllersFileError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong, with the line when the YAML says.
    pub message: String,
}

impl ControllersOfRecord {
    /// The controllers of record declared in `path` (a YAML list of field manager names, e.g.
    /// `[helm, argocd, kustomize-controller, my-ci-bot]`); the defaults when there is no file.
    pub fn load(path: &Path) -> Result<Self, ControllersFileError> {
        let problem = |message: String| ControllersFileError { path: path.to_owned(), message };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(error) => return Err(problem(error.to_string())),
        };
        let names: Vec<String> = serde_yaml::from_str(&text).map_err(|error| problem(error.to_string()))?;
        if names.iter().any(|name| name.trim().is_empty()) {
            return Err(problem("a field manager name is empty".into()));
        }
        Ok(Self::new(names))
    }

    /// Controllers named by `names`: a manager is one when its name starts with one of them
    /// (so `helm` covers `helm-controller`).
    pub fn new(names: impl IntoIterator<Item = String>) -> Self {
        Self(names.into_iter().collect())
    }

    /// Whether `manager` is a controller of record.
    pub fn includes(&self, manager: &str) -> bool {
        self.0.iter().any(|name| manager.starts_with(name.as_str()))
    }
}

/// The fields and managers a server-side apply conflict names, each with when that manager last
/// wrote `current` (from its managed fields); empty for a conflict of another kind (a resource
/// version precondition, an object created meanwhile).
pub fn from_conflict(status: &Status, current: Option<&Value>) -> Vec<Drift> {
    let causes = status.details.as_ref().map(|d| d.causes.as_slice()).unwrap_or_default();
    causes
        .iter()
        .filter(|cause| cause.reason == FIELD_MANAGER_CONFLICT)
        .filter_map(|cause| {
            let manager = quoted(&cause.message)?;
            Some(Drift { path: cause.field.clone(), at: written_at(current, &manager), manager })
        })
        .collect()
}

/// The reason of a conflict cause naming another field manager.
const FIELD_MANAGER_CONFLICT: &str = "FieldManagerConflict";

/// The first double-quoted word of a conflict message (`conflict with "kubectl" using apps/v1`).
fn quoted(message: &str) -> Option<String> {
    let (_, rest) = message.split_once('"')?;
    let (name, _) = rest.split_once('"')?;
    (!name.is_empty()).then(|| name.to_owned())
}

/// When `manager` last wrote `object`, from its managed fields; when the server recorded no time
/// for it (writes through the `scale` subresource carry none), when the object last changed.
fn written_at(object: Option<&Value>, manager: &str) -> Option<String> {
    let entries = object?["metadata"]["managedFields"].as_array()?;
    let newest = |of: &dyn Fn(&Value) -> bool| {
        entries.iter().filter(|entry| of(entry)).filter_map(|entry| entry["time"].as_str()).max().map(str::to_owned)
    };
    newest(&|entry| entry["manager"].as_str() == Some(manager)).or_else(|| newest(&|_| true))
}

#[cfg(test)]
mod tests {
    use kube::core::response::{StatusCause, StatusDetails};
    use serde_json::json;

    use super::*;

    fn conflict(causes: Vec<StatusCause>) -> Status {
        Status {
            code: 409,
            message: "Apply failed with 1 conflict: conflict with \"kubectl\" using apps/v1: .spec.replicas".into(),
            details: Some(StatusDetails {
                name: "app".into(),
                group: "apps".into(),
                kind: "deployments".into(),
                uid: String::new(),
                causes,
                retry_after_seconds: 0,
            }),
            ..Status::default()
        }
    }

    #[test]
    fn each_conflict_cause_names_its_field_manager_and_time() {
        let cause = |manager: &str, field: &str| StatusCause {
            reason: "FieldManagerConflict".into(),
            message: format!("conflict with \"{manager}\" using apps/v1"),
            field: field.into(),
        };
        let current = json!({"metadata": {"managedFields": [
            {"manager": "tenantry", "time": "2026-11-29T10:00:00Z"},
            {"manager": "kubectl", "time": "2026-11-29T11:00:00Z"},
            {"manager": "kubectl", "time": "2026-11-29T12:00:00Z"},
            {"manager": "kubectl-scale", "subresource": "scale"},
        ]}});
        let owners = from_conflict(
            &conflict(vec![cause("kubectl", ".spec.replicas"), cause("helm", ".spec.x")]),
            Some(&current),
        );
        assert_eq!(
            owners,
            [
                Drift {
                    path: ".spec.replicas".into(),
                    manager: "kubectl".into(),
                    at: Some("2026-11-29T12:00:00Z".into())
                },
                Drift { path: ".spec.x".into(), manager: "helm".into(), at: Some("2026-11-29T12:00:00Z".into()) },
            ]
        );
        let scaled = from_conflict(&conflict(vec![cause("kubectl-scale", ".spec.replicas")]), Some(&current));
        assert_eq!(scaled[0].at.as_deref(), Some("2026-11-29T12:00:00Z"), "no time recorded: the object's last change");
        let stale = Status { message: "the object has been modified".into(), ..conflict(Vec::new()) };
        assert!(from_conflict(&stale, None).is_empty(), "a precondition conflict names no manager");
    }

    #[test]
    fn controllers_of_record_match_by_prefix() {
        let controllers = ControllersOfRecord::default();
        for manager in ["helm", "helm-controller", "argocd-controller", "kustomize-controller"] {
            assert!(controllers.includes(manager), "{manager}");
        }
        for manager in ["kubectl", "kubectl-client-side-apply", "tenantry", "Mozilla"] {
            assert!(!controllers.includes(manager), "{manager}");
        }
        assert!(ControllersOfRecord::new(["ci-bot".to_owned()]).includes("ci-bot-7"));
    }

    #[test]
    fn the_declared_controllers_come_from_a_yaml_list() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("controllers-of-record.yaml");
        assert_eq!(ControllersOfRecord::load(&path).expect("no file"), ControllersOfRecord::default());
        std::fs::write(&path, "- ci-bot\n- helm\n").expect("write");
        let declared = ControllersOfRecord::load(&path).expect("a list");
        assert!(declared.includes("ci-bot") && !declared.includes("argocd-controller"));
        std::fs::write(&path, "- ci-bot\n  nested: [\n").expect("write");
        let broken = ControllersOfRecord::load(&path).expect_err("broken").to_string();
        assert!(broken.contains("line") && broken.contains("stay in force"), "{broken}");
        std::fs::write(&path, "- \"\"\n").expect("write");
        assert!(ControllersOfRecord::load(&path).is_err());
    }
}
