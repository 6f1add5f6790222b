//! One-click tenant actions. Every action runs the same pipeline: validate the input, check
//! permissions (SelfSubjectAccessReview), journal the intent, render and dry-run on the server
//! (the preview), server-side apply, wait until the tenant runs as asked, and record the result
//! (journal, audit log, Kubernetes Event). Running an action again finishes it without
//! duplicates: every write is a server-side apply of the whole wanted state.

mod backup;
mod converge;
mod diff;
mod objects;
mod record;
mod stored;
mod transition;
pub mod validate;

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Namespace;
use kube::ResourceExt as _;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use serde_json::{Value, json};
use tenantry_model::{
    ActionAccess, ActionEvent, ActionKind, ActionRequest, ActionResult, AuditEntry, Change, ErrorKind, FieldChange,
    JournalEntry, JournalState, ObjectChange, Operation, Outcome, Preview, Step, TenantSpec, UiError,
};

use crate::access::{self, Permission};
use crate::blueprint::{BlueprintError, Catalog, Manifest};
use crate::cache::{Cache, CacheError};
use crate::inventory::{MANAGED_BY, SPEC_ANNOTATION, now};
use crate::kubeconfig::{ContextEntry, ContextError};
pub use backup::BackupError;
pub use converge::ConvergeError;
pub use objects::ObjectError;
pub use transition::TransitionError;

/// Field manager of restarts: kept apart from `tenantry`, so that applying the spec later
/// neither removes the restart stamp nor conflicts with it.
const RESTART_MANAGER: &str = "tenantry-restart";
/// Pod template annotation a restart sets.
const RESTARTED_AT: &str = "tenantry.io/restarted-at";

/// How actions behave.
#[derive(Debug, Clone, Copy)]
pub struct ActionSettings {
    /// How long an action waits for the tenant to run as asked.
    pub converge_timeout: Duration,
}

impl Default for ActionSettings {
    fn default() -> Self {
        Self { converge_timeout: Duration::from_secs(180) }
    }
}

/// Why an action did not run or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The input or the tenant's state does not allow the action; fix the input.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The blueprint cannot render the spec; fix the blueprint or the parameters.
    #[error(transparent)]
    Blueprint(#[from] BlueprintError),
    /// The identity lacks permissions; ask a cluster admin for them.
    #[error("this identity may not {}", missing.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))]
    Forbidden {
        /// Every permission missing.
        missing: Vec<Permission>,
    },
    /// An object could not be planned or written (conflicts included).
    #[error(transparent)]
    Object(#[from] ObjectError),
    /// The tenant did not reach the wanted state.
    #[error(transparent)]
    Converge(#[from] ConvergeError),
    /// The context is broken; fix the kubeconfig.
    #[error(transparent)]
    Context(#[from] ContextError),
    /// No client could be built for the context.
    #[error("cannot build a client for this context")]
    Client(#[source] kube::Error),
    /// A request to the cluster failed.
    #[error("{what}")]
    Cluster {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// The journal or audit log could not be written.
    #[error("the action journal cannot be written")]
    Journal(#[from] CacheError),
    /// A backup cannot be taken or restored (no schedule, no such backup, a bad id).
    #[error(transparent)]
    Backup(#[from] BackupError),
    /// The cache holds no spec of this tenant, so it cannot be created again from it.
    #[error("the local cache holds no spec of {id} on {context}")]
    NotCached {
        /// The tenant.
        id: String,
        /// Its cluster.
        context: String,
    },
    /// There is no such journal entry for this cluster.
    #[error("the journal has no action #{id} on {context}")]
    NoJournalEntry {
        /// The entry asked for.
        id: i64,
        /// The cluster it was asked for.
        context: String,
    },
}

impl ActionError {
    /// The error as the user sees it.
    pub fn to_ui(&self) -> UiError {
        let (kind, message) = match self {
            Self::Transition(_) | Self::Blueprint(_) => (ErrorKind::Invalid, self.to_string()),
            Self::Forbidden { .. } => (ErrorKind::Forbidden, format!("Refused: {self}.")),
            Self::Object(ObjectError::Conflict { kind, name, message }) => (
                ErrorKind::Conflict,
                format!(
                    "{kind} {name} was changed by someone else, so nothing was overwritten ({message}). Review that change, then take it over or leave it."
                ),
            ),
            Self::Object(ObjectError::UnknownKind { .. } | ObjectError::ClusterScoped { .. }) => {
                (ErrorKind::Invalid, self.to_string())
            }
            Self::Converge(ConvergeError::Timeout { .. } | ConvergeError::Failed { .. }) => {
                (ErrorKind::NotConverged, format!("Applied, but {self}."))
            }
            Self::Context(context) => return crate::error::context_error_for_ui(context),
            Self::Journal(_) => (ErrorKind::Cache, "The action journal cannot be written; nothing was changed.".into()),
            Self::NoJournalEntry { .. } | Self::NotCached { .. } => (ErrorKind::Invalid, self.to_string()),
            Self::Backup(BackupError::Read(_, source)) => {
                let mut ui = crate::error::request_error_for_ui(source, self);
                ui.detail = crate::error::chain(self);
                return ui;
            }
            Self::Backup(_) => (ErrorKind::Invalid, self.to_string()),
            Self::Object(ObjectError::Request { source, .. }) | Self::Cluster { source, .. } | Self::Client(source) => {
                let mut ui = crate::error::request_error_for_ui(source, self);
                ui.detail = crate::error::chain(self);
                return ui;
            }
            Self::Converge(_) => (ErrorKind::Api, self.to_string()),
        };
        UiError { kind, message, detail: crate::error::chain(self) }
    }
}

/// Runs actions, journaling and auditing them in the cache.
pub struct Actions {
    cache: Cache,
    catalog: Catalog,
    settings: ActionSettings,
}

/// What the action knows about the tenant so far, for the audit record.
#[derive(Default)]
struct Trail {
    journal_id: Option<i64>,
    revision_before: u64,
    revision_after: u64,
    namespace_exists_after: bool,
}

/// An action ready to apply: its objects planned and the preview shown.
struct Prepared {
    resources: objects::Resources,
    /// For a restore: the app's Deployments as they run (to scale back up to) and the Job.
    restore: Option<(Vec<Value>, String)>,
    namespace: Option<objects::PlannedObject>,
    objects: Vec<objects::PlannedObject>,
    removals: Vec<objects::PlannedObject>,
    preview: Preview,
}

impl Actions {
    /// Actions journaled in `cache`, rendering with `catalog`.
    pub fn new(cache: Cache, catalog: Catalog, settings: ActionSettings) -> Self {
        Self { cache, catalog, settings }
    }

    /// Validates, checks permissions and dry-runs `request` without changing anything.
    pub async fn preview(&self, entry: &ContextEntry, request: &ActionRequest) -> Result<Preview, ActionError> {
        let client = client(entry).await?;
        let mut trail = Trail::default();
        let prepared = self.prepare(&client, request, &mut |_| {}, &mut trail, false).await?;
        Ok(prepared.preview)
    }

    /// Runs `request` to the end, reporting each step to `progress`; the outcome is also in the
    /// journal and the audit log. Refusals and failures are outcomes, not errors; an error means
    /// the action could not even be recorded.
    pub async fn run(
        &self,
        entry: &ContextEntry,
        request: &ActionRequest,
        mut progress: impl FnMut(ActionEvent) + Send,
    ) -> Result<Outcome, ActionError> {
        let started = Instant::now();
        let mut trail = Trail::default();
        let result = match client(entry).await {
            Ok(client) => {
                let done = self.execute(&client, request, &mut progress, &mut trail).await;
                (done, Some(client))
            }
            Err(error) => (Err(error), None),
        };
        let (done, client) = result;
        progress(ActionEvent::Started { step: Step::Record });
        let (result, message) = match &done {
            Ok(message) => (ActionResult::Succeeded, message.clone()),
            Err(error) if trail.journal_id.is_none() => (ActionResult::Refused, error.to_ui().message),
            Err(error) => (ActionResult::Failed, error.to_ui().message),
        };
        if let Some(id) = trail.journal_id {
            let state = if result == ActionResult::Succeeded { JournalState::Succeeded } else { JournalState::Failed };
            let detail = done.as_ref().err().map(|e| crate::error::chain(e)).unwrap_or_default();
            self.cache.journal_finish(id, state, &detail, &now()).await?;
        }
        let identity = match &client {
            Some(client) => {
                crate::cluster::identity(client).await.ok().flatten().unwrap_or_else(|| "(unknown)".to_owned())
            }
            None => "(unknown)".to_owned(),
        };
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let kind = request.change.kind();
        self.cache
            .audit_add(&AuditEntry {
                id: 0,
                at: now(),
                os_user: record::os_user(),
                identity,
                context: request.context.clone(),
                tenant: request.tenant.clone(),
                action: kind,
                revision_before: trail.revision_before,
                revision_after: if result == ActionResult::Succeeded {
                    trail.revision_after
                } else {
                    trail.revision_before
                },
                result,
                duration_ms,
                message: message.clone(),
            })
            .await?;
        if let (Some(client), true) = (&client, trail.namespace_exists_after)
            && let Err(error) = record::event(client, &request.tenant, kind, result, &message).await
        {
            tracing::warn!(tenant = %request.tenant, error = %crate::error::chain(&error), "cannot post the tenant event");
        }
        progress(ActionEvent::Finished { step: Step::Record });
        let outcome = Outcome { result, message, journal_id: trail.journal_id.unwrap_or(0), duration_ms };
        tracing::info!(tenant = %request.tenant, context = %request.context, action = kind.name(), result = ?outcome.result, message = %outcome.message, "action ended");
        progress(ActionEvent::Ended { outcome: outcome.clone() });
        Ok(outcome)
    }

    /// Runs the request of journal entry `journal_id` again (every action is idempotent, so this
    /// finishes what an interrupted run started); the entry is marked resumed when it succeeds.
    pub async fn resume(
        &self,
        entry: &ContextEntry,
        journal_id: i64,
        progress: impl FnMut(ActionEvent) + Send,
    ) -> Result<Outcome, ActionError> {
        let journal = self.journal_entry(entry, journal_id).await?;
        let outcome = self.run(entry, &journal.request, progress).await?;
        if outcome.result == ActionResult::Succeeded {
            let message = format!("finished by action #{}", outcome.journal_id);
            self.cache.journal_finish(journal_id, JournalState::Resumed, &message, &now()).await?;
        }
        Ok(outcome)
    }

    /// Undoes journal entry `journal_id`: the tenant goes back to the revision before it, and a
    /// tenant the entry created is deleted (then `confirm` must be its id).
    pub async fn roll_back(
        &self,
        entry: &ContextEntry,
        journal_id: i64,
        confirm: &str,
        progress: impl FnMut(ActionEvent) + Send,
    ) -> Result<Outcome, ActionError> {
        let journal = self.journal_entry(entry, journal_id).await?;
        let change = match journal.revision_before {
            0 => Change::Delete { confirm: confirm.to_owned() },
            revision => Change::Rollback { revision },
        };
        let request = ActionRequest { change, take_over: false, ..journal.request };
        let outcome = self.run(entry, &request, progress).await?;
        if outcome.result == ActionResult::Succeeded {
            let message = format!("rolled back by action #{}", outcome.journal_id);
            self.cache.journal_finish(journal_id, JournalState::RolledBack, &message, &now()).await?;
        }
        Ok(outcome)
    }

    /// For each action on an existing tenant, the permissions the identity of `entry` lacks for
    /// it (an action's buttons are disabled with that reason). Checks the permissions every run
    /// of the action needs; a run checks again with what its render writes.
    pub async fn access(&self, entry: &ContextEntry, id: &str) -> Result<Vec<ActionAccess>, ActionError> {
        let client = client(entry).await?;
        let spec_change = || {
            vec![
                Permission::new("patch", "", "namespaces", None),
                Permission::new("patch", "", "configmaps", Some(id)),
                Permission::new("patch", "apps", "deployments", Some(id)),
            ]
        };
        let needs: Vec<(ActionKind, Vec<Permission>)> = vec![
            (ActionKind::Update, spec_change()),
            (ActionKind::Scale, spec_change()),
            (ActionKind::Restart, vec![Permission::new("patch", "apps", "deployments", Some(id))]),
            (ActionKind::Suspend, spec_change()),
            (ActionKind::Resume, spec_change()),
            (ActionKind::Rollback, spec_change()),
            (ActionKind::Backup, vec![Permission::new("create", "batch", "jobs", Some(id))]),
            (
                ActionKind::Restore,
                vec![
                    Permission::new("create", "batch", "jobs", Some(id)),
                    Permission::new("patch", "apps", "deployments", Some(id)),
                ],
            ),
            (ActionKind::Delete, vec![Permission::new("delete", "", "namespaces", None)]),
        ];
        let all: Vec<Permission> = needs.iter().flat_map(|(_, wanted)| wanted.iter().cloned()).collect();
        let missing = access::missing(&client, &all)
            .await
            .map_err(|source| ActionError::Cluster { what: "cannot check permissions".into(), source })?;
        Ok(needs
            .into_iter()
            .map(|(action, wanted)| ActionAccess {
                action,
                missing: wanted.iter().filter(|p| missing.contains(p)).map(ToString::to_string).collect(),
            })
            .collect())
    }

    /// The newest spec the local cache holds for tenant `id` of `context`, to create it again
    /// after a delete (`Change::Create` with it).
    pub async fn cached_spec(&self, context: &str, id: &str) -> Result<TenantSpec, ActionError> {
        let cached = self.cache.latest_spec(context, id).await?;
        cached
            .and_then(|(_, json)| serde_json::from_str::<TenantSpec>(&json).ok())
            .ok_or_else(|| ActionError::NotCached { id: id.to_owned(), context: context.to_owned() })
    }

    /// The audit log, newest first.
    pub async fn audit_log(&self) -> Result<Vec<AuditEntry>, ActionError> {
        Ok(self.cache.audit_log().await?)
    }

    /// Actions that did not finish (the app died, or they failed), oldest first.
    pub async fn unfinished(&self) -> Result<Vec<JournalEntry>, ActionError> {
        Ok(self.cache.unfinished().await?)
    }

    async fn journal_entry(&self, entry: &ContextEntry, journal_id: i64) -> Result<JournalEntry, ActionError> {
        match self.cache.journal_entry(journal_id).await? {
            Some(journal) if journal.request.context == entry.name => Ok(journal),
            _ => Err(ActionError::NoJournalEntry { id: journal_id, context: entry.name.clone() }),
        }
    }

    async fn execute(
        &self,
        client: &kube::Client,
        request: &ActionRequest,
        progress: &mut (dyn FnMut(ActionEvent) + Send),
        trail: &mut Trail,
    ) -> Result<String, ActionError> {
        let mut prepared = self.prepare(client, request, progress, trail, true).await?;
        let journal_id = trail.journal_id.unwrap_or_default();
        let id = request.tenant.as_str();

        progress(ActionEvent::Started { step: Step::Apply });
        self.cache.journal_step(journal_id, Step::Apply).await?;
        let timeout = self.settings.converge_timeout;
        match &request.change {
            Change::Delete { .. } => {
                delete_namespace(client, id).await?;
            }
            Change::Restart => restart(client, id).await?,
            // The app stops before the restore Job starts, so nothing writes while it restores.
            Change::Restore { .. } => {
                let (job, app): (Vec<_>, Vec<_>) =
                    prepared.objects.iter().partition(|p| p.object["kind"].as_str() == Some("Job"));
                for planned in app {
                    prepared.resources.apply(planned).await?;
                }
                converge::rolled_out(client, id, timeout, |r| {
                    progress(ActionEvent::Rollout { ready: r.ready, updated: r.updated, desired: r.desired });
                })
                .await?;
                for planned in job {
                    prepared.resources.apply(planned).await?;
                }
            }
            _ => {
                for planned in prepared.namespace.iter().chain(&prepared.objects) {
                    prepared.resources.apply(planned).await?;
                }
                for removal in &prepared.removals {
                    prepared.resources.remove(removal).await?;
                }
            }
        }
        progress(ActionEvent::Finished { step: Step::Apply });

        progress(ActionEvent::Started { step: Step::Converge });
        self.cache.journal_step(journal_id, Step::Converge).await?;
        let mut report = |r: converge::Rollout| {
            progress(ActionEvent::Rollout { ready: r.ready, updated: r.updated, desired: r.desired });
        };
        if matches!(request.change, Change::Delete { .. }) {
            converge::deleted(client, id, timeout).await?;
            trail.namespace_exists_after = false;
        } else if let Change::Backup { backup } = &request.change {
            backup::job_completed(client, id, &format!("backup-{backup}"), timeout).await?;
        } else if let Some((running, job)) = &prepared.restore {
            backup::job_completed(client, id, job, timeout).await?;
            for object in running {
                let planned = prepared.resources.plan(object.clone(), false, true, false).await?;
                prepared.resources.apply(&planned).await?;
            }
            converge::rolled_out(client, id, timeout, &mut report).await?;
        } else {
            trail.namespace_exists_after = true;
            converge::rolled_out(client, id, timeout, &mut report).await?;
        }
        progress(ActionEvent::Finished { step: Step::Converge });
        Ok(done_message(request, trail.revision_after))
    }

    /// Validate, access, (journal), preview.
    async fn prepare(
        &self,
        client: &kube::Client,
        request: &ActionRequest,
        progress: &mut (dyn FnMut(ActionEvent) + Send),
        trail: &mut Trail,
        journal: bool,
    ) -> Result<Prepared, ActionError> {
        let id = request.tenant.as_str();
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
        let mut resources = objects::Resources::new(client.clone(), request.take_over);
        let wanted = self.permissions(&mut resources, request, &objects_next, &objects_now).await?;
        let missing = access::missing(client, &wanted)
            .await
            .map_err(|source| ActionError::Cluster { what: "cannot check permissions".into(), source })?;
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
        match (&request.change, &spec_next) {
            (Change::Backup { backup }, _) => {
                let job = backup::backup_job(client, id, backup).await?;
                let planned = resources.plan(job, false, true, false).await?;
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
                    let planned = resources.plan(object, false, true, false).await?;
                    preview.objects.push(change_of(
                        "Deployment",
                        planned.name(),
                        planned.operation,
                        planned.fields.clone(),
                    ));
                    planned_objects.push(planned);
                }
                let job = blueprint.render_restore(id, spec, backup)?;
                let planned = resources.plan(job.object, false, true, false).await?;
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
                let mut all = vec![stored::namespace(id, &spec_json, trail.revision_after)];
                if trail.revision_after != trail.revision_before {
                    all.push(stored::history(id, &history, &spec_json, trail.revision_after));
                }
                let create_only: Vec<bool> = std::iter::repeat_n(false, all.len())
                    .chain(manifests_next.iter().map(Manifest::create_only))
                    .collect();
                all.extend(objects_next.iter().cloned());
                for (index, (object, create_only)) in all.into_iter().zip(create_only).enumerate() {
                    let planned = resources.plan(object, create_only, namespace_exists, index == 0).await?;
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

async fn client(entry: &ContextEntry) -> Result<kube::Client, ActionError> {
    let config = entry.client_config().await?;
    kube::Client::try_from(config).map_err(ActionError::Client)
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

/// Names of the Deployments Tenantry manages in namespace `id`.
async fn managed_deployments(client: &kube::Client, id: &str) -> Result<Vec<String>, ActionError> {
    let selector = format!("{}={}", MANAGED_BY.0, MANAGED_BY.1);
    let list =
        Api::<Deployment>::namespaced(client.clone(), id)
            .list(&ListParams::default().labels(&selector))
            .await
            .map_err(|source| ActionError::Cluster { what: format!("cannot list the Deployments of {id}"), source })?;
    Ok(list.items.iter().map(|d| d.name_any()).collect())
}

/// Replaces the pods of every Tenantry Deployment in `id` one by one (a new template stamp).
async fn restart(client: &kube::Client, id: &str) -> Result<(), ActionError> {
    let api = Api::<Deployment>::namespaced(client.clone(), id);
    let stamp = json!({"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now()}}}}});
    for name in managed_deployments(client, id).await? {
        api.patch(
            &name,
            &PatchParams { field_manager: Some(RESTART_MANAGER.into()), ..PatchParams::default() },
            &Patch::Strategic(&stamp),
        )
        .await
        .map_err(|source| ActionError::Cluster { what: format!("cannot restart Deployment {name}"), source })?;
    }
    Ok(())
}

async fn delete_namespace(client: &kube::Client, id: &str) -> Result<(), ActionError> {
    match Api::<Namespace>::all(client.clone()).delete(id, &DeleteParams::background()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(source) => Err(ActionError::Cluster { what: format!("cannot delete namespace {id}"), source }),
    }
}

/// One sentence on a finished action.
fn done_message(request: &ActionRequest, revision: u64) -> String {
    let id = &request.tenant;
    let context = &request.context;
    match &request.change {
        Change::Create { .. } => format!("Created {id} on {context} (revision {revision}); it is running."),
        Change::Update { .. } => format!("Updated {id} on {context} (revision {revision}); it is running."),
        Change::Scale { replicas: Some(n), .. } => {
            format!("Scaled {id} on {context} to {n} pods (revision {revision}).")
        }
        Change::Scale { autoscaling: Some(b), .. } => {
            format!("{id} on {context} now scales between {} and {} pods (revision {revision}).", b.min, b.max)
        }
        Change::Scale { .. } => format!("Scaled {id} on {context} (revision {revision})."),
        Change::Restart => format!("Restarted {id} on {context}; every pod was replaced."),
        Change::Suspend => format!("Suspended {id} on {context}; no pod runs (revision {revision})."),
        Change::Resume => format!("Resumed {id} on {context} (revision {revision}); it is running."),
        Change::Rollback { revision: old } => {
            format!("Rolled {id} on {context} back to the spec of revision {old} (now revision {revision}).")
        }
        Change::Backup { backup } => format!("Backed up {id} on {context} as {backup}."),
        Change::Restore { backup } => format!("Restored {id} on {context} from backup {backup}; it is running."),
        Change::Delete { .. } => format!("Deleted {id} from {context}; its spec stays in the cache."),
    }
}
