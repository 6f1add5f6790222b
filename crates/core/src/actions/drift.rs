//! Drift: where a tenant's live objects differ from what its spec renders. The check is the
//! server's dry run of the render over the live objects (the preview of a change that changes
//! nothing), so every difference is the server's and names the writer from managedFields.
//! "Sync" runs that change (the render applied again, drift taken back); "Accept" records the
//! live values of the fields that map back to the spec — the app's pods, the autoscaling bounds
//! and the version (the image tag) — as a new revision.

use tenantry_model::{Autoscaling, Change, DriftField, DriftReport, ObjectChange, Operation, Preview, TenantSpec};

/// The change "Sync" runs: the spec as it is, rendered and applied again.
pub fn sync_change() -> Change {
    Change::version_update(None)
}

/// The drift `preview` (of [`sync_change`]) shows, each field with the live and the rendered
/// value, who changed it and when, and whether Accept can record it.
pub fn report(preview: &Preview, checked_at: String) -> DriftReport {
    let mut fields = Vec::new();
    for object in preview.objects.iter().filter(|o| o.operation != Operation::Kept) {
        if object.operation == Operation::Create {
            fields.push(DriftField {
                object: format!("{}/{}", object.kind, object.name),
                path: String::new(),
                live: None,
                rendered: Some("(the whole object)".into()),
                manager: None,
                at: None,
                accepts_as: None,
            });
            continue;
        }
        for change in &object.fields {
            let path = shape(&change.path);
            let writer = object.drift.iter().find(|d| {
                let owned = shape(&d.path);
                path == owned || path.starts_with(&format!("{owned}.")) || owned.starts_with(&format!("{path}."))
            });
            fields.push(DriftField {
                object: format!("{}/{}", object.kind, object.name),
                path: change.path.clone(),
                live: change.before.clone(),
                rendered: change.after.clone(),
                manager: writer.map(|d| d.manager.clone()),
                at: writer.and_then(|d| d.at.clone()),
                accepts_as: accepts_as(object, &change.path).map(str::to_owned),
            });
        }
    }
    DriftReport { checked_at, fields, notes: preview.notes.clone() }
}

/// A field path without list positions or keys (`.spec.containers[name="app"].image` and
/// `spec.containers[0].image` are both `spec.containers[].image`), to match the server's conflict
/// paths with the preview's.
fn shape(path: &str) -> String {
    let mut shaped = String::with_capacity(path.len());
    let mut depth = 0_usize;
    for c in path.trim_start_matches('.').chars() {
        match c {
            '[' => {
                if depth == 0 {
                    shaped.push('[');
                }
                depth += 1;
            }
            ']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    shaped.push(']');
                }
            }
            c if depth == 0 => shaped.push(c),
            _ => {}
        }
    }
    shaped
}

/// The spec field a live value of `path` in `object` maps back to.
fn accepts_as(object: &ObjectChange, path: &str) -> Option<&'static str> {
    match (object.kind.as_str(), path) {
        ("Deployment", "spec.replicas") => Some("pods"),
        ("HorizontalPodAutoscaler", "spec.minReplicas" | "spec.maxReplicas") => Some("autoscaling bounds"),
        ("Deployment", p) if p.starts_with("spec.template.spec.containers[") && p.ends_with("].image") => {
            Some("version")
        }
        _ => None,
    }
}

/// What Accept records from `report` over `spec` (the spec now): the spec change taking the
/// live values that map back to the spec, and the fields it cannot take (Sync takes those back,
/// or the blueprint changes).
pub fn accepted(report: &DriftReport, spec: Option<&TenantSpec>) -> (Option<Change>, Vec<String>) {
    let mut replicas = None;
    let bounds = spec.and_then(|s| s.autoscaling.as_ref());
    let (mut min, mut max) = (None, None);
    let mut version = None;
    let mut refused = Vec::new();
    for field in &report.fields {
        let live = field.live.as_deref();
        match (field.accepts_as.as_deref(), field.path.as_str()) {
            (Some("pods"), _) => replicas = live.and_then(|v| v.parse::<i32>().ok()),
            (Some("autoscaling bounds"), "spec.minReplicas") => min = live.and_then(|v| v.parse::<i32>().ok()),
            (Some("autoscaling bounds"), _) => max = live.and_then(|v| v.parse::<i32>().ok()),
            (Some("version"), _) => version = live.and_then(image_tag),
            _ => refused.push(format!(
                "{} {} is not a spec field: Sync takes it back, or the blueprint must render it",
                field.object,
                if field.path.is_empty() { "(missing)" } else { field.path.as_str() }
            )),
        }
    }
    if min.is_some() || max.is_some() {
        min = min.or(bounds.map(|b| b.min));
        max = max.or(bounds.map(|b| b.max));
    }
    let change = match (version, replicas, min.zip(max)) {
        (Some(version), _, _) => {
            if replicas.is_some() || min.is_some() || max.is_some() {
                refused
                    .push("the pods or autoscaling bounds: accept the version first, then again for the size".into());
            }
            Some(Change::version_update(Some(version)))
        }
        (None, _, Some((min, max))) => {
            Some(Change::Scale { replicas: None, autoscaling: Some(Autoscaling { min, max }), workload: None })
        }
        (None, Some(replicas), None) => {
            Some(Change::Scale { replicas: Some(replicas), autoscaling: None, workload: None })
        }
        (None, None, None) => None,
    };
    if change.is_none() && (min.is_some() != max.is_some()) {
        refused.push("one autoscaling bound drifted and the spec has no autoscaling to take the other from".into());
    }
    (change, refused)
}

/// The tag of an image reference (`registry:5000/web:6.5.1` → `6.5.1`); none for a digest.
fn image_tag(image: &str) -> Option<String> {
    if image.contains('@') {
        return None;
    }
    let name = image.rsplit('/').next().unwrap_or(image);
    name.split_once(':').map(|(_, tag)| tag.to_owned()).filter(|tag| !tag.is_empty())
}

#[cfg(test)]
mod tests {
    use tenantry_model::{Drift, FieldChange};

    use super::*;

    fn object(kind: &str, name: &str, fields: &[(&str, &str, &str)], manager: &str) -> ObjectChange {
        ObjectChange {
            kind: kind.into(),
            name: name.into(),
            operation: Operation::Update,
            fields: fields
                .iter()
                .map(|(path, live, rendered)| FieldChange {
                    path: (*path).into(),
                    before: Some((*live).into()),
                    after: Some((*rendered).into()),
                })
                .collect(),
            drift: vec![Drift { path: format!(".{}", fields[0].0), manager: manager.into(), at: Some("T".into()) }],
        }
    }

    fn preview(objects: Vec<ObjectChange>) -> Preview {
        Preview { revision_before: 3, revision_after: 3, objects, notes: Vec::new() }
    }

    #[test]
    fn a_hand_scaled_deployment_is_drift_by_its_writer_and_accepts_as_pods() {
        let report = report(
            &preview(vec![object("Deployment", "app", &[("spec.replicas", "5", "2")], "kubectl")]),
            "now".into(),
        );
        let field = &report.fields[0];
        assert_eq!(
            (field.object.as_str(), field.manager.as_deref(), field.at.as_deref()),
            ("Deployment/app", Some("kubectl"), Some("T"))
        );
        assert_eq!((field.live.as_deref(), field.rendered.as_deref()), (Some("5"), Some("2")));
        let (change, refused) = accepted(&report, None);
        assert_eq!(change, Some(Change::Scale { replicas: Some(5), autoscaling: None, workload: None }));
        assert!(refused.is_empty());
    }

    #[test]
    fn an_image_set_by_hand_accepts_as_the_version_and_other_fields_are_refused() {
        let report = report(
            &preview(vec![
                object(
                    "Deployment",
                    "app",
                    &[(
                        "spec.template.spec.containers[0].image",
                        "registry.example.com:5000/web:6.6.0",
                        "registry.example.com:5000/web:6.5.1",
                    )],
                    "kubectl-set",
                ),
                object("Service", "app", &[("spec.ports[0].port", "8080", "80")], "kubectl-edit"),
            ]),
            "now".into(),
        );
        let (change, refused) = accepted(&report, None);
        assert_eq!(change, Some(Change::version_update(Some("6.6.0".into()))));
        assert_eq!(refused.len(), 1);
        assert!(refused[0].contains("Service/app spec.ports[0].port is not a spec field"), "{refused:?}");
    }

    #[test]
    fn autoscaling_bounds_accept_together() {
        let report = report(
            &preview(vec![object(
                "HorizontalPodAutoscaler",
                "app",
                &[("spec.maxReplicas", "9", "4"), ("spec.minReplicas", "3", "2")],
                "kubectl-patch",
            )]),
            "now".into(),
        );
        let (change, _) = accepted(&report, None);
        assert_eq!(
            change,
            Some(Change::Scale { replicas: None, autoscaling: Some(Autoscaling { min: 3, max: 9 }), workload: None })
        );
        let only_max = report_of_max();
        let spec = TenantSpec { autoscaling: Some(Autoscaling { min: 2, max: 4 }), ..TenantSpec::default() };
        let (change, _) = accepted(&only_max, Some(&spec));
        assert_eq!(
            change,
            Some(Change::Scale { replicas: None, autoscaling: Some(Autoscaling { min: 2, max: 9 }), workload: None })
        );
    }

    fn report_of_max() -> DriftReport {
        report(
            &preview(vec![object(
                "HorizontalPodAutoscaler",
                "app",
                &[("spec.maxReplicas", "9", "4")],
                "kubectl-patch",
            )]),
            "now".into(),
        )
    }

    #[test]
    fn the_writer_is_named_only_for_the_fields_it_wrote() {
        let mut deployment = object(
            "Deployment",
            "app",
            &[("spec.template.spec.containers[0].image", "web:9", "web:6"), ("spec.template.spec.volumes", "x", "y")],
            "kubectl-set",
        );
        deployment.drift[0].path = ".spec.template.spec.containers[name=\"app\"].image".into();
        let report = report(&preview(vec![deployment]), "now".into());
        assert_eq!(report.fields[0].manager.as_deref(), Some("kubectl-set"));
        assert_eq!(report.fields[1].manager, None);
    }

    #[test]
    fn image_tags_are_read_past_registry_ports_and_not_from_digests() {
        assert_eq!(image_tag("localhost:5000/web:1.2").as_deref(), Some("1.2"));
        assert_eq!(image_tag("web").as_deref(), None);
        assert_eq!(image_tag("web@sha256:abc").as_deref(), None);
    }

    #[test]
    fn nothing_drifted_is_nothing_to_accept() {
        let report = report(&preview(Vec::new()), "now".into());
        assert!(report.fields.is_empty());
        assert_eq!(accepted(&report, None), (None, Vec::new()));
    }
}
