//! Planning an action: validate the input against the tenant as stored, check permissions,
//! journal the intent, and turn the request into an explicit [`Plan`] (the spec write over the
//! revision it was read at, each object's apply as the server's dry run over the live object
//! says, restart, delete, backup and restore steps) with the preview the user sees.

use serde_json::Value;
use tenantry_model::{
    ActionEvent, ActionRequest, Change, FieldChange, ObjectChange, Operation, Preview, Step, TenantSpec,
};

use super::objects::{ObjectError, PlanAs, PlannedObject, Resources};
use super::restart::{RESTARTED_AT, managed_deployments};
use super::secret_config::SecretWrite;
use super::session::Session;
use super::stored::{self, Changed, Revision, Stored, StoredError};
use super::transition::TransitionError;
use super::{ActionError, Actions, Trail, adopt, backup, diff, record, transition, unmanaged, validate};
use crate::access::Permission;
use crate::blueprint::Manifest;
use crate::cache::CacheError;
use crate::labels::{RESTORE_ATTEMPT_ANNOTATION, SPEC_ANNOTATION, now};
use crate::tenancy::{Candidate, Verdict};

/// What an action will do, as [`Actions::execute`] carries it out.
pub(super) struct Plan {
    /// Writes the planned objects.
    pub(super) resources: Resources,
    /// The steps.
    pub(super) work: Work,
    /// What the user was shown.
    pub(super) preview: Preview,
    /// The sentence on the finished action, when the kind of action does not say it.
    pub(super) done: Option<String>,
}

/// The steps of a plan, by kind of action.
pub(super) enum Work {
    /// Write the spec (the Namespace, only over the revision it was planned on), apply each
    /// object as planned (created, updated, its drift taken back), remove what the spec no
    /// longer renders, then wait until the tenant runs as asked.
    Apply {
        /// The Namespace with the spec; `None` for a backup-less restore and the like.
        namespace: Option<PlannedObject>,
        /// The history and the blueprint's objects.
        objects: Vec<PlannedObject>,
        /// Objects to delete.
        removals: Vec<PlannedObject>,
        /// History entries the written history no longer holds (past its bounds, unreadable).
        stale_history: Vec<String>,
        /// Secret config values, written to the tenant's Secret right after the spec and before
        /// the app's objects.
        secrets: Option<SecretWrite>,
        /// The objects are workloads Tenantry did not create, sized as a recorded spec says:
        /// each is waited for by name.
        recorded: bool,
    },
    /// Apply these objects (a workload's size, the remembered sizes) and stamp these workloads
    /// so their pods are replaced, then wait until each has rolled out: a tenant without a
    /// blueprint.
    Workloads {
        /// Objects with just the fields the action sets.
        objects: Vec<PlannedObject>,
        /// Workloads whose pods are replaced.
        restart: Vec<super::unmanaged::Workload>,
    },
    /// Stamp these Deployments so their pods are replaced, then wait for the rollout.
    Restart {
        /// The Deployments.
        deployments: Vec<String>,
    },
    /// Delete the tenant's namespace and wait until it is gone.
    Delete,
    /// Create the backup Job and wait until it completed.
    Backup {
        /// The Job.
        job: PlannedObject,
    },
    /// Stop the app, run the restore Job (a failed one from an earlier attempt is replaced),
    /// start the app again as it ran, and wait until it runs.
    Restore {
        /// The app's Deployments at zero pods.
        stop: Vec<PlannedObject>,
        /// The restore Job.
        job: PlannedObject,
        /// Whether a Job of that name from another attempt (or a failed one) is deleted first.
        replace: bool,
        /// The app's Deployments as the spec renders them.
        start: Vec<Value>,
    },
}

impl Actions {
    /// The objects tenant `id`'s `spec` renders: its blueprint's, or the workload sizes a spec
    /// without a blueprint records.
    pub(super) fn render_spec(&self, id: &str, spec: &TenantSpec) -> Result<Vec<Manifest>, ActionError> {
        if spec.blueprint.is_empty() {
            return Ok(unmanaged::recorded_sizes(id, spec).into_iter().map(Manifest::recorded).collect());
        }
        Ok(self.catalog.get(&spec.blueprint)?.render(id, spec)?)
    }

    /// Validate, access, (journal), preview: the plan of `request` over the tenant as it is now.
    pub(super) async fn prepare(
        &self,
        session: &Session,
        request: &ActionRequest,
        progress: &mut (dyn FnMut(ActionEvent) + Send),
        trail: &mut Trail,
        journal: bool,
    ) -> Result<Plan, ActionError> {
        let id = request.tenant.as_str();
        let client = &session.client;
        progress(ActionEvent::Started { step: Step::Validate });
        validate::tenant_id(id).map_err(TransitionError::from)?;
        validate::reason(&request.reason).map_err(TransitionError::from)?;
        if matches!(request.change, Change::Create { .. }) {
            let labels = std::collections::BTreeMap::new();
            let candidate = Candidate { cluster: &request.context, name: id, labels: &labels };
            if self.tenancy().verdict(candidate) == Verdict::Excluded {
                return Err(StoredError::Excluded { id: id.to_owned() }.into());
            }
        }
        let stored = stored::read(client, id)
            .await
            .map_err(|source| ActionError::Cluster { what: format!("cannot read tenant {id}"), source })?;
        trail.namespace_exists_after = stored.is_some();
        let mut change = request.change.clone();
        let mut adopting = None;
        if let Some(stored) = &stored {
            let candidate = Candidate { cluster: &request.context, name: id, labels: &stored.labels };
            let ruled = matches!(self.tenancy().verdict(candidate), Verdict::Tenant { .. });
            let recorded = stored.spec.as_ref().is_some_and(|s| s.blueprint.is_empty());
            match (&request.change, stored.owned) {
                (Change::Adopt { spec }, false) if ruled => {
                    let observed = adopt::observe(client, id).await?;
                    change = Change::Adopt { spec: adopt::filled(id, spec, &observed) };
                    adopting = Some(observed);
                }
                (Change::Adopt { .. }, true)
                    if stored.revision == 1 && stored.history.get(&1).is_some_and(|r| r.action == "adopt") =>
                {
                    // An adopt that ended early: the spec it recorded, applied again.
                    change = Change::Adopt { spec: stored.spec.clone().unwrap_or_default() };
                }
                (Change::Adopt { .. }, true) => return Err(TransitionError::Adopted(id.to_owned()).into()),
                (_, false) if ruled => {
                    return self.prepare_unmanaged(session, request, stored, progress, trail, journal).await;
                }
                (Change::Restart { .. }, true) if recorded => {
                    return self.prepare_unmanaged(session, request, stored, progress, trail, journal).await;
                }
                _ => {
                    stored.check(id, &request.change)?;
                    if let Change::Scale { workload: Some(workload), .. }
                    | Change::Restart { workload: Some(workload), .. } = &request.change
                        && !recorded
                        && !["app", "Deployment/app"].contains(&workload.as_str())
                    {
                        return Err(TransitionError::WorkloadOfBlueprint {
                            id: id.to_owned(),
                            workload: workload.clone(),
                        }
                        .into());
                    }
                }
            }
        } else if matches!(request.change, Change::Adopt { .. }) {
            return Err(TransitionError::Missing(id.to_owned()).into());
        }
        let spec_now = stored.as_ref().and_then(|s| s.spec.clone());
        let history = stored.as_ref().map(|s| s.history.clone()).unwrap_or_default();
        let spec_next = transition::next_spec(id, spec_now.as_ref(), &history, &change)?;
        trail.revision_before = stored.as_ref().map_or(0, |s| s.revision);
        trail.revision_after = match (&spec_next, &stored) {
            (Some(next), Some(stored)) if spec_now.as_ref() != Some(next) => stored.next_revision(id)?,
            (Some(_), None) => 1,
            _ => trail.revision_before,
        };
        let render = |spec: &TenantSpec| self.render_spec(id, spec);
        let manifests_next = match (&request.change, &spec_next) {
            (Change::Delete { .. } | Change::Restart { .. } | Change::Backup { .. } | Change::Restore { .. }, _)
            | (_, None) => Vec::new(),
            (_, Some(next)) => render(next)?,
        };
        match &request.change {
            Change::Backup { backup: id_of_backup } => backup::check_id(id_of_backup)?,
            Change::Restore { backup: id_of_backup, .. } => backup::completed(client, id, id_of_backup).await?,
            _ => {}
        }
        let objects_next: Vec<Value> = manifests_next.iter().map(|m| m.object.clone()).collect();
        let mut adopt_notes = Vec::new();
        if let (Some(observed), Some(next)) = (&adopting, &spec_next)
            && !next.blueprint.is_empty()
        {
            adopt_notes = adopt::mapping(id, &next.blueprint, &observed.existing, &manifests_next)?;
        }
        let recorded = spec_next.as_ref().is_some_and(|next| next.blueprint.is_empty());
        // What the spec rendered before: objects it had that the new render lacks are removed
        // (never a workload a recorded spec sizes: Tenantry did not make it).
        let objects_now: Vec<Value> = match &spec_now {
            Some(now) if !objects_next.is_empty() && !recorded && !now.blueprint.is_empty() => {
                render(now).unwrap_or_default().into_iter().map(|m| m.object).collect()
            }
            _ => Vec::new(),
        };
        progress(ActionEvent::Finished { step: Step::Validate });

        progress(ActionEvent::Started { step: Step::Access });
        let mut resources = session.resources(self.settings.controllers.clone(), request.take_over);
        for object in stored.iter().flat_map(|s| s.read.iter().cloned()) {
            resources.fetched(object);
        }
        let secrets = match &spec_next {
            Some(next) if !objects_next.is_empty() => {
                SecretWrite::between(spec_now.as_ref(), next, &trail.secret_values)
            }
            _ => None,
        };
        for manifest in &manifests_next {
            resources.check_namespaced(&manifest.object).await.map_err(|error| match error {
                ObjectError::UnknownKind { .. } | ObjectError::ClusterScoped { .. } => {
                    ActionError::Blueprint(manifest.refused(format!("cannot be written: {error}")))
                }
                other => other.into(),
            })?;
        }
        let mut wanted = self.permissions(&mut resources, request, &objects_next, &objects_now).await?;
        if secrets.is_some() {
            for verb in ["get", "create", "patch"] {
                wanted.push(Permission::new(verb, "", "secrets", Some(id)));
            }
        }
        session.require(&wanted).await?;
        progress(ActionEvent::Finished { step: Step::Access });

        self.journal_then_preview(request, progress, trail, journal).await?;
        let mut preview = Preview {
            revision_before: trail.revision_before,
            revision_after: trail.revision_after,
            objects: Vec::new(),
            notes: Vec::new(),
        };
        let existing = PlanAs { namespace_exists: true, ..PlanAs::default() };
        let work = match (&request.change, &spec_next) {
            (Change::Backup { backup }, _) => {
                let job = backup::backup_job(client, id, backup).await?;
                let job = resources.plan(job, existing).await?;
                preview.objects.push(shown(&job, Vec::new()));
                Work::Backup { job }
            }
            (Change::Restore { backup, attempt }, Some(spec)) => {
                let blueprint = self.catalog.get(&spec.blueprint)?;
                let suspended = TenantSpec { suspended: true, ..spec.clone() };
                let deployments = |manifests: Vec<Manifest>| -> Vec<Value> {
                    manifests.into_iter().filter(|m| m.kind() == "Deployment").map(|m| m.object).collect()
                };
                let mut stop = Vec::new();
                for object in deployments(blueprint.render(id, &suspended)?) {
                    let planned = resources.plan(object, existing).await?;
                    preview.objects.push(shown(&planned, planned.fields.clone()));
                    stop.push(planned);
                }
                let attempt = attempt.as_deref().unwrap_or("preview");
                let mut job = blueprint.render_restore(id, spec, backup)?.object;
                job["metadata"]["annotations"][RESTORE_ATTEMPT_ANNOTATION] = Value::from(attempt);
                let replace = backup::restore_job_stale(client, id, job_name(&job), attempt).await?;
                let mut job = resources.plan(job, existing).await?;
                if replace {
                    job.operation = Operation::Create;
                    preview.notes.push(format!(
                        "The Job {} of an earlier or failed restore is replaced by a fresh one.",
                        job.name()
                    ));
                }
                preview.objects.push(shown(&job, Vec::new()));
                preview.notes.push(format!(
                    "The site is scaled to zero while backup {backup} is restored, then comes back as it was."
                ));
                Work::Restore { stop, job, replace, start: deployments(blueprint.render(id, spec)?) }
            }
            (Change::Delete { .. }, _) => {
                preview.objects.push(change_of("Namespace", id, Operation::Delete, Vec::new()));
                preview.notes.push(format!(
                    "Everything in namespace {id} is removed. The tenant's spec stays in the local cache, so it can be created again."
                ));
                Work::Delete
            }
            (Change::Restart { .. }, _) => {
                let deployments = managed_deployments(client, id).await?;
                for deployment in &deployments {
                    let field = FieldChange {
                        path: format!("spec.template.metadata.annotations.{RESTARTED_AT}"),
                        before: None,
                        after: Some(now()),
                    };
                    preview.objects.push(change_of("Deployment", deployment, Operation::Update, vec![field]));
                }
                Work::Restart { deployments }
            }
            (_, Some(next)) => {
                let revision = self.revision(session, request, stored.as_ref(), next, trail.revision_after).await;
                let spec_json = serde_json::to_string(next).map_err(CacheError::from)?;
                let fingerprint = if next.blueprint.is_empty() {
                    String::new()
                } else {
                    self.catalog.get(&next.blueprint)?.fingerprint().to_owned()
                };
                let resource_version = stored.as_ref().and_then(|s| s.resource_version.as_deref());
                let changed = Changed { by: revision.by.clone(), at: revision.at.clone() };
                let namespace =
                    stored::namespace(id, &spec_json, trail.revision_after, &changed, &fingerprint, resource_version);
                let namespace_how =
                    PlanAs { namespace_exists: stored.is_some(), cluster_wide_allowed: true, ..PlanAs::default() };
                let namespace = resources.plan(namespace, namespace_how).await?;
                let mut shown_namespace = shown(&namespace, namespace.fields.clone());
                // The spec shows field by field below; who wrote a revision and when is
                // bookkeeping, not a change the user makes.
                let bookkeeping = [SPEC_ANNOTATION, stored::CHANGED_BY_ANNOTATION, stored::CHANGED_AT_ANNOTATION];
                shown_namespace.fields.retain(|f| !bookkeeping.iter().any(|key| f.path.ends_with(key)));
                shown_namespace.fields.extend(spec_changes(spec_now.as_ref(), next));
                // Only the annotation's spelling differs (e.g. fields added since).
                if shown_namespace.operation == Operation::Update && shown_namespace.fields.is_empty() {
                    shown_namespace.operation = Operation::Unchanged;
                }
                preview.objects.push(shown_namespace);
                if let Some(write) = &secrets {
                    preview.objects.push(write.shown(spec_now.as_ref()));
                }
                if matches!(request.change, Change::Rollback { .. })
                    && spec_now.as_ref().is_some_and(|now| now.secret_config != next.secret_config)
                {
                    preview.notes.push(
                        "Secret config values are not kept in the history: the roll back keeps the current value of each secret key that revision has, and removes the keys it does not have.".into(),
                    );
                }

                let mut objects = Vec::new();
                let mut stale_history = Vec::new();
                // The history gets the new revision, or the current one when a run that wrote
                // the spec ended before the history (so revisions stay gapless).
                if !history.contains_key(&trail.revision_after) {
                    let history = stored::history(id, &history, &revision, trail.revision_after);
                    let unreadable = stored.as_ref().map(|s| s.unreadable_history.as_slice()).unwrap_or_default();
                    stale_history = stored::stale_history(
                        &stored.as_ref().map(|s| s.history.clone()).unwrap_or_default(),
                        unreadable,
                        &history,
                    );
                    let history = resources
                        .plan(history, PlanAs { namespace_exists: stored.is_some(), ..PlanAs::default() })
                        .await?;
                    let mut shown_history = shown(&history, history.fields.clone());
                    shown_history.fields.iter_mut().for_each(summarize_history_field);
                    let unreadable = stored.as_ref().map(|s| s.unreadable_history.join(", ")).unwrap_or_default();
                    if !unreadable.is_empty() {
                        preview.notes.push(format!(
                            "The history entries {unreadable} cannot be read (not a spec this Tenantry knows, or too large); writing the history drops them."
                        ));
                    }
                    preview.objects.push(shown_history);
                    objects.push(history);
                }
                if stored.is_some() {
                    resources.prefetch(&objects_next).await;
                }
                for (manifest, object) in manifests_next.iter().zip(objects_next.iter().cloned()) {
                    let how = PlanAs {
                        create_only: manifest.create_only(),
                        namespace_exists: stored.is_some(),
                        ..PlanAs::default()
                    };
                    let planned = resources.plan(object, how).await?;
                    preview.objects.push(shown(&planned, planned.fields.clone()));
                    objects.push(planned);
                }
                if stored.is_none() {
                    preview.notes.push(
                        "The namespace does not exist yet, so the server checks its objects when they are applied."
                            .into(),
                    );
                }
                let removals = resources.removals(id, &objects_now, &objects_next).await?;
                for removal in &removals {
                    preview.objects.push(shown(removal, Vec::new()));
                }
                preview.notes.append(&mut adopt_notes);
                Work::Apply { namespace: Some(namespace), objects, removals, stale_history, secrets, recorded }
            }
            (_, None) => Work::Apply {
                namespace: None,
                objects: Vec::new(),
                removals: Vec::new(),
                stale_history: Vec::new(),
                secrets: None,
                recorded: false,
            },
        };
        preview.notes.extend(preview.objects.iter().flat_map(drift_notes));
        if let Some(controller) = stored.as_ref().and_then(|s| s.gitops.as_deref()) {
            preview.notes.push(gitops_note(controller));
        }
        progress(ActionEvent::Planned { preview: preview.clone() });
        progress(ActionEvent::Finished { step: Step::Preview });
        Ok(Plan { resources, work, preview, done: None })
    }

    /// Journals the intent (when `journal`), then starts the preview step.
    pub(super) async fn journal_then_preview(
        &self,
        request: &ActionRequest,
        progress: &mut (dyn FnMut(ActionEvent) + Send),
        trail: &mut Trail,
        journal: bool,
    ) -> Result<(), ActionError> {
        if journal {
            progress(ActionEvent::Started { step: Step::Journal });
            let journal_id =
                self.cache.journal_start(request, trail.revision_before, self.running.here(), &now()).await?;
            trail.journal_id = Some(journal_id);
            trail.running = Some(self.running.enter(&self.cache, journal_id));
            progress(ActionEvent::Finished { step: Step::Journal });
        }
        progress(ActionEvent::Started { step: Step::Preview });
        if let Some(journal_id) = trail.journal_id {
            self.cache.journal_step(journal_id, Step::Preview).await?;
        }
        Ok(())
    }

    /// The history entry of the spec `next` as revision `number`: a new revision is made by this
    /// identity now; the current one keeps who made it.
    async fn revision(
        &self,
        session: &Session,
        request: &ActionRequest,
        stored: Option<&Stored>,
        next: &TenantSpec,
        number: u64,
    ) -> Revision {
        let kept = stored.filter(|s| s.revision == number);
        let (by, at) = match kept {
            Some(stored) => (stored.changed.by.clone(), stored.changed.at.clone()),
            None => (format!("{} ({})", session.identity().await, record::os_user()), now()),
        };
        Revision {
            spec: next.clone(),
            by,
            at,
            action: request.change.kind().name().to_owned(),
            reason: request.reason.clone(),
        }
    }

    /// Every permission `request` needs: for spec changes create and patch on each kind it
    /// writes and delete on each it removes; patch on Deployments for a restart; delete on the
    /// namespace for a delete; and creating Events everywhere.
    async fn permissions(
        &self,
        resources: &mut Resources,
        request: &ActionRequest,
        objects_next: &[Value],
        objects_now: &[Value],
    ) -> Result<Vec<Permission>, ActionError> {
        let id = request.tenant.as_str();
        let mut wanted = vec![Permission::new("create", "", "events", Some(id))];
        match &request.change {
            Change::Delete { .. } => wanted.push(Permission::new("delete", "", "namespaces", None)),
            Change::Restart { .. } => wanted.push(Permission::new("patch", "apps", "deployments", Some(id))),
            Change::Backup { .. } | Change::Restore { .. } => {
                wanted.push(Permission::new("list", "batch", "cronjobs", Some(id)));
                wanted.push(Permission::new("create", "batch", "jobs", Some(id)));
                wanted.push(Permission::new("patch", "batch", "jobs", Some(id)));
                if matches!(request.change, Change::Restore { .. }) {
                    wanted.push(Permission::new("patch", "apps", "deployments", Some(id)));
                    wanted.push(Permission::new("delete", "batch", "jobs", Some(id)));
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

/// A history entry's change as "the spec of revision N" instead of the entry's JSON, which the
/// namespace's fields already show field by field.
fn summarize_history_field(field: &mut FieldChange) {
    let revision = field.path.strip_prefix("data.").unwrap_or(&field.path).to_owned();
    let summary = |value: &Option<String>| value.as_ref().map(|_| format!("the spec of revision {revision}"));
    field.before = summary(&field.before);
    field.after = summary(&field.after);
}

/// The preview's warning on a tenant a GitOps controller manages.
pub(super) fn gitops_note(controller: &str) -> String {
    format!(
        "{controller} manages this tenant and will revert this change unless it is also made at its source (the Git repository)."
    )
}

/// A planned object as the preview shows it, with `fields`.
pub(super) fn shown(planned: &PlannedObject, fields: Vec<FieldChange>) -> ObjectChange {
    ObjectChange {
        kind: planned.object["kind"].as_str().unwrap_or_default().to_owned(),
        name: planned.name().to_owned(),
        operation: planned.operation,
        fields,
        drift: planned.drift.clone(),
    }
}

/// The name of a rendered object.
fn job_name(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or_default()
}

/// An object change the preview shows without a dry run.
pub(super) fn change_of(kind: &str, name: &str, operation: Operation, fields: Vec<FieldChange>) -> ObjectChange {
    ObjectChange { kind: kind.to_owned(), name: name.to_owned(), operation, fields, drift: Vec::new() }
}

/// One note per field another writer changed: who, when, and that applying takes it back.
pub(super) fn drift_notes(object: &ObjectChange) -> Vec<String> {
    object
        .drift
        .iter()
        .map(|drift| {
            let when = drift.at.as_deref().map(|at| format!(" at {at}")).unwrap_or_default();
            let field = if drift.path.is_empty() { "some fields".to_owned() } else { drift.path.clone() };
            format!(
                "{} {}: {field} was changed outside Tenantry by {}{when}; applying takes it back to the spec.",
                object.kind, object.name, drift.manager
            )
        })
        .collect()
}
