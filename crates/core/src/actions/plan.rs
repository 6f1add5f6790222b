//! Preparing an action: validate the input against the tenant as stored, check permissions,
//! journal the intent, and plan every object with the server's dry run into the preview.

use serde_json::Value;
use tenantry_model::{
    ActionEvent, ActionRequest, Change, FieldChange, ObjectChange, Operation, Preview, Step, TenantSpec,
};

use super::execute::{RESTARTED_AT, managed_deployments};
use super::objects::PlanAs;
use super::session::Session;
use super::{ActionError, Actions, Trail, backup, diff, objects, stored, transition};
use crate::access::Permission;
use crate::blueprint::Manifest;
use crate::cache::CacheError;
use crate::inventory::{SPEC_ANNOTATION, now};

/// An action ready to apply: its objects planned and the preview shown.
pub(super) struct Prepared {
    pub(super) resources: objects::Resources,
    /// For a restore: the app's Deployments as they run (to scale back up to) and the Job.
    pub(super) restore: Option<(Vec<Value>, String)>,
    pub(super) namespace: Option<objects::PlannedObject>,
    pub(super) objects: Vec<objects::PlannedObject>,
    pub(super) removals: Vec<objects::PlannedObject>,
    pub(super) preview: Preview,
}

impl Actions {
    /// Validate, access, (journal), preview.
    pub(super) async fn prepare(
        &self,
        session: &Session,
        request: &ActionRequest,
        progress: &mut (dyn FnMut(ActionEvent) + Send),
        trail: &mut Trail,
        journal: bool,
    ) -> Result<Prepared, ActionError> {
        let id = request.tenant.as_str();
        let client = &session.client;
        progress(ActionEvent::Started { step: Step::Validate });
        let stored = stored::read(client, id)
            .await
            .map_err(|source| ActionError::Cluster { what: format!("cannot read tenant {id}"), source })?;
        trail.namespace_exists_after = stored.is_some();
        let spec_now = stored.as_ref().and_then(|s| s.spec.clone());
        let history = stored.as_ref().map(|s| s.history.clone()).unwrap_or_default();
        let spec_next = transition::next_spec(id, spec_now.as_ref(), &history, &request.change)?;
        trail.revision_before = stored.as_ref().map_or(0, |s| s.revision);
        trail.revision_after = match &spec_next {
            Some(next) if spec_now.as_ref() != Some(next) => trail.revision_before + 1,
            _ => trail.revision_before,
        };
        let render = |spec: &TenantSpec| -> Result<Vec<Manifest>, ActionError> {
            Ok(self.catalog.get(&spec.blueprint)?.render(id, spec)?)
        };
        let manifests_next = match (&request.change, &spec_next) {
            (Change::Delete { .. } | Change::Restart | Change::Backup { .. } | Change::Restore { .. }, _)
            | (_, None) => Vec::new(),
            (_, Some(next)) => render(next)?,
        };
        match &request.change {
            Change::Backup { backup: id_of_backup } => backup::check_id(id_of_backup)?,
            Change::Restore { backup: id_of_backup } => backup::completed(client, id, id_of_backup).await?,
            _ => {}
        }
        let objects_next: Vec<Value> = manifests_next.iter().map(|m| m.object.clone()).collect();
        // What the spec rendered before: objects it had that the new render lacks are removed.
        let objects_now: Vec<Value> = match &spec_now {
            Some(now) if !objects_next.is_empty() => {
                render(now).unwrap_or_default().into_iter().map(|m| m.object).collect()
            }
            _ => Vec::new(),
        };
        progress(ActionEvent::Finished { step: Step::Validate });

        progress(ActionEvent::Started { step: Step::Access });
        let mut resources = session.resources(request.take_over);
        for object in stored.iter().flat_map(|s| s.read.iter().cloned()) {
            resources.fetched(object);
        }
        let wanted = self.permissions(&mut resources, request, &objects_next, &objects_now).await?;
        let missing = session.missing(&wanted).await?;
        if !missing.is_empty() {
            return Err(ActionError::Forbidden { missing });
        }
        progress(ActionEvent::Finished { step: Step::Access });

        if journal {
            progress(ActionEvent::Started { step: Step::Journal });
            trail.journal_id = Some(self.cache.journal_start(request, trail.revision_before, &now()).await?);
            progress(ActionEvent::Finished { step: Step::Journal });
        }

        progress(ActionEvent::Started { step: Step::Preview });
        if let Some(journal_id) = trail.journal_id {
            self.cache.journal_step(journal_id, Step::Preview).await?;
        }
        let namespace_exists = stored.is_some();
        let mut preview = Preview {
            revision_before: trail.revision_before,
            revision_after: trail.revision_after,
            objects: Vec::new(),
            notes: Vec::new(),
        };
        let mut prepared_namespace = None;
        let mut planned_objects = Vec::new();
        let mut removals = Vec::new();
        let mut restore = None;
        let existing = PlanAs { namespace_exists: true, ..PlanAs::default() };
        match (&request.change, &spec_next) {
            (Change::Backup { backup }, _) => {
                let job = backup::backup_job(client, id, backup).await?;
                let planned = resources.plan(job, existing).await?;
                preview.objects.push(change_of("Job", planned.name(), planned.operation, Vec::new()));
                planned_objects.push(planned);
            }
            (Change::Restore { backup }, Some(spec)) => {
                let blueprint = self.catalog.get(&spec.blueprint)?;
                let suspended = TenantSpec { suspended: true, ..spec.clone() };
                let deployments = |manifests: Vec<Manifest>| -> Vec<Value> {
                    manifests.into_iter().filter(|m| m.kind() == "Deployment").map(|m| m.object).collect()
                };
                for object in deployments(blueprint.render(id, &suspended)?) {
                    let planned = resources.plan(object, existing).await?;
                    preview.objects.push(change_of(
                        "Deployment",
                        planned.name(),
                        planned.operation,
                        planned.fields.clone(),
                    ));
                    planned_objects.push(planned);
                }
                let job = blueprint.render_restore(id, spec, backup)?;
                let planned = resources.plan(job.object, existing).await?;
                preview.objects.push(change_of("Job", planned.name(), planned.operation, Vec::new()));
                restore = Some((deployments(blueprint.render(id, spec)?), planned.name().to_owned()));
                planned_objects.push(planned);
                preview.notes.push(format!(
                    "The site is scaled to zero while backup {backup} is restored, then comes back as it was."
                ));
            }
            (Change::Delete { .. }, _) => {
                preview.objects.push(change_of("Namespace", id, Operation::Delete, Vec::new()));
                preview.notes.push(format!(
                    "Everything in namespace {id} is removed. The tenant's spec stays in the local cache, so it can be created again."
                ));
            }
            (Change::Restart, _) => {
                for deployment in managed_deployments(client, id).await? {
                    let field = FieldChange {
                        path: format!("spec.template.metadata.annotations.{RESTARTED_AT}"),
                        before: None,
                        after: Some(now()),
                    };
                    preview.objects.push(change_of("Deployment", &deployment, Operation::Update, vec![field]));
                }
            }
            (_, Some(next)) => {
                let spec_json = serde_json::to_string(next).map_err(CacheError::from)?;
                let fingerprint = self.catalog.get(&next.blueprint)?.fingerprint().to_owned();
                // Objects the spec before rendered identically need no dry run, but only when
                // that spec was applied with this very blueprint.
                let same_blueprint = stored.as_ref().and_then(|s| s.blueprint.as_deref()) == Some(fingerprint.as_str());
                let mut all = vec![stored::namespace(id, &spec_json, trail.revision_after, &fingerprint)];
                if trail.revision_after != trail.revision_before {
                    all.push(stored::history(id, &history, &spec_json, trail.revision_after));
                }
                let create_only: Vec<bool> = std::iter::repeat_n(false, all.len())
                    .chain(manifests_next.iter().map(Manifest::create_only))
                    .collect();
                all.extend(objects_next.iter().cloned());
                for (index, (object, create_only)) in all.into_iter().zip(create_only).enumerate() {
                    let how = PlanAs {
                        create_only,
                        namespace_exists,
                        cluster_wide_allowed: index == 0,
                        rendered_before: same_blueprint
                            && !matches!(request.change, Change::Create { .. })
                            && objects_now.contains(&object),
                    };
                    let planned = resources.plan(object, how).await?;
                    preview.objects.push(change_of(
                        planned.object["kind"].as_str().unwrap_or_default(),
                        planned.name(),
                        planned.operation,
                        planned.fields.clone(),
                    ));
                    if index == 0 {
                        let spec_fields = spec_changes(spec_now.as_ref(), next);
                        if let Some(namespace) = preview.objects.last_mut() {
                            namespace.fields.retain(|f| !f.path.ends_with(SPEC_ANNOTATION));
                            namespace.fields.extend(spec_fields);
                            // Only the annotation's spelling differs (e.g. fields added since).
                            if namespace.operation == Operation::Update && namespace.fields.is_empty() {
                                namespace.operation = Operation::Unchanged;
                            }
                        }
                        prepared_namespace = Some(planned);
                    } else {
                        if planned.name() == stored::HISTORY
                            && let Some(history) = preview.objects.last_mut()
                        {
                            for field in &mut history.fields {
                                summarize_history_field(field);
                            }
                        }
                        planned_objects.push(planned);
                    }
                }
                if !namespace_exists {
                    preview.notes.push(
                        "The namespace does not exist yet, so the server checks its objects when they are applied."
                            .into(),
                    );
                }
                removals = resources.removals(id, &objects_now, &objects_next).await?;
                for removal in &removals {
                    let kind = removal.object["kind"].as_str().unwrap_or_default();
                    preview.objects.push(change_of(kind, removal.name(), Operation::Delete, Vec::new()));
                }
            }
            (_, None) => {}
        }
        progress(ActionEvent::Planned { preview: preview.clone() });
        progress(ActionEvent::Finished { step: Step::Preview });
        Ok(Prepared { resources, restore, namespace: prepared_namespace, objects: planned_objects, removals, preview })
    }

    /// Every permission `request` needs: for spec changes create and patch on each kind it
    /// writes and delete on each it removes; patch on Deployments for a restart; delete on the
    /// namespace for a delete; and creating Events everywhere.
    async fn permissions(
        &self,
        resources: &mut objects::Resources,
        request: &ActionRequest,
        objects_next: &[Value],
        objects_now: &[Value],
    ) -> Result<Vec<Permission>, ActionError> {
        let id = request.tenant.as_str();
        let mut wanted = vec![Permission::new("create", "", "events", Some(id))];
        match &request.change {
            Change::Delete { .. } => wanted.push(Permission::new("delete", "", "namespaces", None)),
            Change::Restart => wanted.push(Permission::new("patch", "apps", "deployments", Some(id))),
            Change::Backup { .. } | Change::Restore { .. } => {
                wanted.push(Permission::new("list", "batch", "cronjobs", Some(id)));
                wanted.push(Permission::new("create", "batch", "jobs", Some(id)));
                wanted.push(Permission::new("patch", "batch", "jobs", Some(id)));
                if matches!(request.change, Change::Restore { .. }) {
                    wanted.push(Permission::new("patch", "apps", "deployments", Some(id)));
                }
            }
            change => {
                if matches!(change, Change::Create { .. }) {
                    wanted.push(Permission::new("create", "", "namespaces", None));
                }
                wanted.push(Permission::new("patch", "", "namespaces", None));
                wanted.push(Permission::new("create", "", "configmaps", Some(id)));
                wanted.push(Permission::new("patch", "", "configmaps", Some(id)));
                for object in objects_next {
                    let resource = resources.plural(object).await?;
                    wanted.push(Permission::new("create", &resource.0, &resource.1, Some(id)));
                    wanted.push(Permission::new("patch", &resource.0, &resource.1, Some(id)));
                }
                let key = |o: &Value| (o["apiVersion"].clone(), o["kind"].clone(), o["metadata"]["name"].clone());
                for object in objects_now.iter().filter(|old| !objects_next.iter().any(|new| key(new) == key(old))) {
                    let resource = resources.plural(object).await?;
                    wanted.push(Permission::new("delete", &resource.0, &resource.1, Some(id)));
                }
            }
        }
        Ok(wanted)
    }
}

/// The spec annotation's change as the fields of the spec that change (`tenant.replicas: 2 → 3`),
/// instead of one line holding two JSON documents; nothing for a new tenant: its whole spec is new.
fn spec_changes(now: Option<&TenantSpec>, next: &TenantSpec) -> Vec<FieldChange> {
    let Some(now) = now else {
        return Vec::new();
    };
    let json = |spec: &TenantSpec| serde_json::to_value(spec).unwrap_or(Value::Null);
    diff::value_changes("tenant", &json(now), &json(next))
}

/// A history entry's change as "the spec of revision N" instead of the spec's JSON, which the
/// namespace's fields already show field by field.
fn summarize_history_field(field: &mut FieldChange) {
    let revision = field.path.strip_prefix("data.").unwrap_or(&field.path).to_owned();
    let summary = |value: &Option<String>| value.as_ref().map(|_| format!("the spec of revision {revision}"));
    field.before = summary(&field.before);
    field.after = summary(&field.after);
}

fn change_of(kind: &str, name: &str, operation: Operation, fields: Vec<FieldChange>) -> ObjectChange {
    ObjectChange { kind: kind.to_owned(), name: name.to_owned(), operation, fields }
}
