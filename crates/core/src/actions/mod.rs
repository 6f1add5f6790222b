//! One-click tenant actions. Every action runs the same pipeline: [`plan`] (validate the input
//! against the tenant as stored, check permissions, journal the intent, dry-run every object
//! over the live cluster into the preview) and then [`execute`] (write the spec over the revision
//! it was planned on, apply, wait until the tenant runs as asked), and record the result
//! (journal, audit log, Kubernetes Event). Running an action again finishes it without
//! duplicates: every write is a server-side apply of the whole wanted state. Actions on one
//! tenant queue inside a process; across processes the spec's resource version decides, and a
//! cluster that stops answering ends the action (see [`crate::heartbeat`]).

mod adopt;
mod backup;
mod converge;
mod diff;
pub mod drift;
mod execute;
mod mirror;
mod objects;
mod owners;
mod ownership;
mod plan;
mod predicted;
mod record;
mod rendered;
mod restart;
mod secret_config;
mod session;
mod stored;
mod transition;
mod unmanaged;
mod unmanaged_plan;
pub mod validate;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::{StreamExt as _, TryStreamExt as _};
use tenantry_model::{
    ActionAccess, ActionEvent, ActionKind, ActionRequest, ActionResult, AuditEntry, Change, DriftAcceptance,
    DriftReport, ErrorKind, JournalEntry, JournalState, Outcome, Preview, Step, TenantSpec, TimelineEntry, UiError,
};

use crate::access::Permission;
use crate::blueprint::{BlueprintError, Catalog};
use crate::cache::{Cache, CacheError};
use crate::kubeconfig::{ContextEntry, ContextError};
use crate::labels::now;
use crate::tenancy::TenancyRules;
pub use adopt::AdoptError;
pub use backup::BackupError;
pub use converge::ConvergeError;
pub use objects::ObjectError;
pub use owners::{ControllersFileError, ControllersOfRecord, DEFAULT_CONTROLLERS};
pub use ownership::{HEARTBEAT_EVERY, HEARTBEAT_STALE, owner_alive, this_process};
use ownership::{RunGuard, Running};
pub use record::os_user;
pub use rendered::RenderedChange;
pub use secret_config::is_secret;
use session::Session;
pub use stored::Revision;
pub use stored::StoredError;
pub use transition::TransitionError;
pub use unmanaged::UnmanagedError;

/// How actions behave.
#[derive(Debug, Clone)]
pub struct ActionSettings {
    /// How long an action waits for the tenant to run as asked.
    pub converge_timeout: Duration,
    /// Field managers whose fields are a conflict to review, never drift to take back.
    pub controllers: ControllersOfRecord,
    /// The tenancy rules: a namespace they exclude never becomes a tenant.
    pub tenancy: Arc<TenancyRules>,
}

/// The environment variable that sets how many seconds an action waits for convergence.
pub const CONVERGE_SECONDS_VAR: &str = "TENANTRY_CONVERGE_SECONDS";

impl ActionSettings {
    /// How long an action waits for convergence: `TENANTRY_CONVERGE_SECONDS` (1 to 3,600) when
    /// set to a whole number in range (slow clusters want more, a quick fleet-wide check less),
    /// else `default`.
    pub fn converge_timeout_from_env(default: Duration) -> Duration {
        std::env::var(CONVERGE_SECONDS_VAR)
            .ok()
            .and_then(|text| text.trim().parse::<u64>().ok())
            .filter(|seconds| (1..=3600).contains(seconds))
            .map_or(default, Duration::from_secs)
    }
}

impl Default for ActionSettings {
    fn default() -> Self {
        Self {
            converge_timeout: Duration::from_secs(180),
            controllers: ControllersOfRecord::default(),
            tenancy: Arc::new(TenancyRules::default()),
        }
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
    /// A request to the cluster failed.
    #[error("{what}")]
    Cluster {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// The namespace is not Tenantry's, or its spec cannot be used as stored.
    #[error(transparent)]
    Stored(#[from] StoredError),
    /// The tenant cannot be adopted with the blueprint asked for.
    #[error(transparent)]
    Adopt(Box<AdoptError>),
    /// An action a tenant without a blueprint cannot take as asked.
    #[error(transparent)]
    Unmanaged(#[from] UnmanagedError),
    /// Secret config values could not be kept in, or read back from, the OS keyring.
    #[error("the secret config values cannot be kept until the action ends")]
    Secret(#[source] crate::secrets::SecretError),
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
    /// Someone else wrote a new revision of the spec after this action read it; nothing of this
    /// action was written. Review the new spec, then run the action again.
    #[error("the tenant's spec was changed by {by} at {at} (now revision {revision}) while you were editing")]
    SpecChanged {
        /// Who wrote the newer revision (identity and OS user), or `someone else`.
        by: String,
        /// When.
        at: String,
        /// The revision now.
        revision: u64,
    },
    /// The cluster stopped answering mid-action; the journal keeps the action to resume.
    #[error("the cluster stopped answering (no answer to {} requests in a row)", crate::heartbeat::MISSES)]
    Silent,
    /// The journal entry is still being run by a live process.
    #[error("action #{id} is still running in {running_in}")]
    StillRunning {
        /// The entry.
        id: i64,
        /// Where it runs.
        running_in: String,
    },
    /// The entry changed nothing that can be undone (it made no revision of the spec).
    #[error("action #{id} has no earlier revision of the spec to go back to")]
    NothingToRollBack {
        /// The entry.
        id: i64,
    },
    /// A created tenant changed after its create, so rolling the create back (deleting it)
    /// would lose those changes.
    #[error(
        "{tenant} changed after it was created (now revision {revision}); delete it explicitly if that is what you want"
    )]
    ChangedSinceCreate {
        /// The tenant.
        tenant: String,
        /// Its revision now.
        revision: u64,
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

impl From<AdoptError> for ActionError {
    fn from(error: AdoptError) -> Self {
        Self::Adopt(Box::new(error))
    }
}

impl ActionError {
    /// The error as the user sees it.
    pub fn to_ui(&self) -> UiError {
        let (kind, message) = match self {
            Self::Transition(_) | Self::Blueprint(_) | Self::Stored(_) | Self::Unmanaged(_) | Self::Adopt(_) => {
                (ErrorKind::Invalid, self.to_string())
            }
            Self::Forbidden { .. } => (ErrorKind::Forbidden, format!("Refused: {self}.")),
            Self::Object(ObjectError::Conflict { kind, name, message, owners }) => {
                let mut fields: Vec<String> =
                    owners.iter().map(|o| format!("{} is set by \"{}\"", o.path, o.manager)).collect();
                fields.dedup();
                let fields = if fields.is_empty() { message.clone() } else { fields.join(", ") };
                (
                    ErrorKind::Conflict,
                    format!(
                        "{kind} {name} was changed by someone else, so nothing was overwritten: {fields}. Review that change, then take it over or leave it."
                    ),
                )
            }
            Self::SpecChanged { .. } => (
                ErrorKind::Stale,
                format!("Nothing was changed: {self}. Review the new spec, then run the action again."),
            ),
            Self::Object(ObjectError::Changed { .. }) => {
                (ErrorKind::Stale, format!("Nothing more was changed: {self}. Review it, then run the action again."))
            }
            Self::Silent => (
                ErrorKind::Unreachable,
                "The cluster stopped answering, so the action was stopped; resume it when the cluster is back.".into(),
            ),
            Self::StillRunning { .. } | Self::NothingToRollBack { .. } | Self::ChangedSinceCreate { .. } => {
                (ErrorKind::Invalid, self.to_string())
            }
            Self::Object(ObjectError::UnknownKind { .. } | ObjectError::ClusterScoped { .. }) => {
                (ErrorKind::Invalid, self.to_string())
            }
            Self::Converge(ConvergeError::Timeout { .. } | ConvergeError::Failed { .. }) => {
                (ErrorKind::NotConverged, format!("Applied, but {self}."))
            }
            Self::Context(context) => return context.to_ui(),
            Self::Journal(_) => (ErrorKind::Cache, "The action journal cannot be written; nothing was changed.".into()),
            Self::Secret(_) => (
                ErrorKind::Internal,
                "The secret config values of this action cannot be kept in, or read back from, the OS keyring; nothing was changed. Run the action again with the values."
                    .into(),
            ),
            Self::NoJournalEntry { .. } | Self::NotCached { .. } => (ErrorKind::Invalid, self.to_string()),
            Self::Backup(BackupError::Read(_, source)) => {
                let mut ui = crate::error::request_error_for_ui(source, self);
                ui.detail = crate::error::chain(self);
                return ui;
            }
            Self::Backup(_) => (ErrorKind::Invalid, self.to_string()),
            Self::Object(ObjectError::Request { source, .. }) | Self::Cluster { source, .. } => {
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
    /// The tenancy rules in force (the settings' at first; the settings page changes them).
    tenancy: Mutex<Arc<TenancyRules>>,
    running: Running,
    queues: Mutex<HashMap<(String, String), TenantQueue>>,
}

/// The turn of actions on one tenant (context, id) inside this process.
type TenantQueue = Arc<tokio::sync::Mutex<()>>;

/// What the action knows about the tenant so far, for the audit record.
#[derive(Default)]
struct Trail {
    journal_id: Option<i64>,
    /// Marks the journal entry as run by this process until the action ends or is dropped.
    running: Option<RunGuard>,
    revision_before: u64,
    revision_after: u64,
    namespace_exists_after: bool,
    /// The secret config values this action sets (never journaled), by key.
    secret_values: std::collections::BTreeMap<String, String>,
}

/// `request` with a new attempt id when it is a restore without one, or a stamp when it is a
/// restart without one, so that its journal entry (and a resume of it) names them; a resume
/// keeps the journaled ones.
fn with_attempt(request: &ActionRequest) -> Cow<'_, ActionRequest> {
    let change = match &request.change {
        Change::Restore { backup, attempt: None } => {
            let attempt = format!("{}-{}", jiff::Timestamp::now().as_millisecond(), std::process::id());
            Change::Restore { backup: backup.clone(), attempt: Some(attempt) }
        }
        Change::Restart { workload, stamp: None } => {
            Change::Restart { workload: workload.clone(), stamp: Some(crate::labels::now()) }
        }
        _ => return Cow::Borrowed(request),
    };
    Cow::Owned(ActionRequest { change, ..request.clone() })
}

/// How long recording an action's end may wait for the cluster (its identity, the Event).
const RECORD_DEADLINE: Duration = Duration::from_secs(3);

/// The permissions each action on an existing tenant `id` needs every time it runs (a run checks
/// again with what its render writes).
fn needs(id: &str) -> Vec<(ActionKind, Vec<Permission>)> {
    let spec_change = || {
        vec![
            Permission::new("patch", "", "namespaces", None),
            Permission::new("patch", "", "configmaps", Some(id)),
            Permission::new("patch", "apps", "deployments", Some(id)),
        ]
    };
    vec![
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
        (ActionKind::Adopt, spec_change()),
    ]
}

/// Tenant `id`'s spec revisions as its history ConfigMap keeps them, by number: the spec, who
/// made it, when, with which action and why (empty when its namespace does not exist).
pub async fn revisions(
    client: &kube::Client,
    id: &str,
) -> Result<std::collections::BTreeMap<u64, Revision>, kube::Error> {
    Ok(stored::read(client, id).await?.map(|stored| stored.history).unwrap_or_default())
}

/// Actions on one cluster sharing a session (client, discovery, permission answers, a mirror of
/// Tenantry's objects): a rollout's tenants on that cluster.
pub struct Batch<'a> {
    actions: &'a Actions,
    session: Session,
}

impl Batch<'_> {
    /// Runs `request` to the end as [`Actions::run`] does, in this cluster's session.
    pub async fn run(&self, request: &ActionRequest) -> Result<Outcome, ActionError> {
        self.actions.run_in(&self.session, request, |_| {}).await
    }

    /// Tenant `id`'s spec revision now (0 without a spec): one read of its Namespace.
    pub async fn revision(&self, id: &str) -> Result<u64, ActionError> {
        stored::revision(&self.session.client, id)
            .await
            .map_err(|source| ActionError::Cluster { what: format!("cannot read tenant {id}"), source })
    }

    /// The reason tenant `id`'s history gives for its current revision (empty without one).
    pub async fn revision_reason(&self, id: &str) -> Result<String, ActionError> {
        let stored = stored::read(&self.session.client, id)
            .await
            .map_err(|source| ActionError::Cluster { what: format!("cannot read tenant {id}"), source })?;
        Ok(stored.and_then(|s| s.history.get(&s.revision).map(|r| r.reason.clone())).unwrap_or_default())
    }

    /// The permissions the identity lacks for `kind` on tenant `id`.
    pub async fn missing(&self, kind: ActionKind, id: &str) -> Result<Vec<String>, ActionError> {
        let wanted: Vec<Permission> = needs(id).into_iter().filter(|(k, _)| *k == kind).flat_map(|(_, p)| p).collect();
        Ok(self.session.missing(&wanted).await?.iter().map(ToString::to_string).collect())
    }
}

impl Actions {
    /// A batch of actions over `entry`'s cluster.
    pub async fn batch(&self, entry: &ContextEntry) -> Result<Batch<'_>, ActionError> {
        Ok(Batch { actions: self, session: Session::open_batch(entry).await? })
    }

    /// The cache the actions journal in (its records file also holds rollouts).
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Actions journaled in `cache`, rendering with `catalog`.
    pub fn new(cache: Cache, catalog: Catalog, settings: ActionSettings) -> Self {
        let tenancy = Mutex::new(Arc::clone(&settings.tenancy));
        Self { cache, catalog, settings, tenancy, running: Running::new(), queues: Mutex::default() }
    }

    /// Makes `rules` the tenancy rules of every action from now on.
    pub fn set_tenancy(&self, rules: Arc<TenancyRules>) {
        *self.tenancy.lock().unwrap_or_else(PoisonError::into_inner) = rules;
    }

    /// The tenancy rules in force.
    fn tenancy(&self) -> Arc<TenancyRules> {
        Arc::clone(&self.tenancy.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Validates, checks permissions and dry-runs `request` without changing anything.
    pub async fn preview(&self, entry: &ContextEntry, request: &ActionRequest) -> Result<Preview, ActionError> {
        let session = Session::open(entry).await?;
        let mut trail = Trail::default();
        let (request, values) = secret_config::for_preview(request);
        trail.secret_values = values;
        let plan = self.prepare(&session, &request, &mut |_| {}, &mut trail, false).await?;
        Ok(plan.preview)
    }

    /// Tenant `id`'s drift: the server's dry run of its render over the live objects, each
    /// differing field with its live and rendered value and the manager that wrote it.
    pub async fn drift(&self, entry: &ContextEntry, id: &str) -> Result<DriftReport, ActionError> {
        let preview = self.preview(entry, &self.drift_request(entry, id, drift::sync_change(), "")).await?;
        let report = drift::report(&preview, now());
        // Drift a person saw is part of the tenant's timeline, even once it is synced.
        let edits: Vec<TimelineEntry> = report
            .fields
            .iter()
            .filter_map(|f| Some(TimelineEntry::edit(&f.object, &f.path, f.manager.as_deref()?, f.at.as_deref()?)))
            .collect();
        if let Err(error) = self.cache.remember_timeline(&entry.name, id, &edits).await {
            tracing::warn!(error = %crate::error::chain(&error), "the drift's edits could not be remembered");
        }
        Ok(report)
    }

    /// The action "Accept" runs for tenant `id`'s drift now (`None`: nothing maps back to the
    /// spec), with the drifted fields it cannot record, each with why.
    pub async fn accept_drift(
        &self,
        entry: &ContextEntry,
        id: &str,
        reason: &str,
    ) -> Result<DriftAcceptance, ActionError> {
        let report = self.drift(entry, id).await?;
        let spec = self.cached_spec(&entry.name, id).await.ok();
        let (change, refused) = drift::accepted(&report, spec.as_ref());
        Ok(DriftAcceptance { request: change.map(|change| self.drift_request(entry, id, change, reason)), refused })
    }

    /// A request on tenant `id` for a drift check or repair.
    fn drift_request(&self, entry: &ContextEntry, id: &str, change: Change, reason: &str) -> ActionRequest {
        ActionRequest {
            context: entry.name.clone(),
            tenant: id.to_owned(),
            change,
            take_over: false,
            reason: reason.to_owned(),
        }
    }

    /// Runs `request` to the end, reporting each step to `progress`; the outcome is also in the
    /// journal and the audit log. Refusals and failures are outcomes, not errors; an error means
    /// the action could not even be recorded.
    pub async fn run(
        &self,
        entry: &ContextEntry,
        request: &ActionRequest,
        progress: impl FnMut(ActionEvent) + Send,
    ) -> Result<Outcome, ActionError> {
        match Session::open(entry).await {
            Ok(session) => self.run_in(&session, request, progress).await,
            Err(error) => self.record(None, request, Err(error), Trail::default(), Instant::now(), progress).await,
        }
    }

    /// Runs `requests` on `entry`'s cluster, at most `concurrency` at a time, sharing one client,
    /// discovery and the permission answers; returns the outcomes in the order of `requests`.
    pub async fn run_many(
        &self,
        entry: &ContextEntry,
        requests: &[ActionRequest],
        concurrency: usize,
    ) -> Result<Vec<Outcome>, ActionError> {
        let session = Session::open_batch(entry).await?;
        let runs = requests.iter().map(|request| self.run_in(&session, request, |_| {}));
        futures::stream::iter(runs).buffered(concurrency.max(1)).try_collect().await
    }

    async fn run_in(
        &self,
        session: &Session,
        request: &ActionRequest,
        mut progress: impl FnMut(ActionEvent) + Send,
    ) -> Result<Outcome, ActionError> {
        let request = &with_attempt(request);
        let started = Instant::now();
        let mut trail = Trail::default();
        // Secret config values wait in the keyring; the journal gets references to them.
        let request = &match secret_config::hold(request) {
            Ok((held, values)) => {
                trail.secret_values = values;
                held
            }
            Err(error) => {
                return self
                    .record(Some(session), request, Err(ActionError::Secret(error)), trail, started, progress)
                    .await;
            }
        };
        let queue = self.queue(request);
        let _turn = queue.lock().await;
        let work = async {
            let plan = self.prepare(session, request, &mut progress, &mut trail, true).await?;
            self.execute(session, request, plan, &mut progress, &mut trail).await
        };
        let done = tokio::select! {
            done = work => done,
            () = crate::heartbeat::stopped_answering(&session.client) => Err(ActionError::Silent),
        };
        let done = match done {
            Err(ActionError::Object(ObjectError::Changed { kind, .. })) if kind == "Namespace" => {
                Err(self.spec_changed(session, &request.tenant).await)
            }
            done => done,
        };
        self.record(Some(session), request, done, trail, started, progress).await
    }

    /// Closes the cache the actions journal in (its files flushed); call when done.
    pub async fn close(&self) {
        self.cache.close().await;
    }

    /// The queue of actions on `request`'s tenant in this process.
    fn queue(&self, request: &ActionRequest) -> TenantQueue {
        let key = (request.context.clone(), request.tenant.clone());
        let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
        // Tenants no action waits for any more leave the map.
        queues.retain(|_, queue| Arc::strong_count(queue) > 1);
        Arc::clone(queues.entry(key).or_default())
    }

    /// Says who wrote the spec revision that made this action's write fail.
    async fn spec_changed(&self, session: &Session, id: &str) -> ActionError {
        match stored::read(&session.client, id).await {
            Ok(Some(now)) => ActionError::SpecChanged {
                by: Some(now.changed.by).filter(|by| !by.is_empty()).unwrap_or_else(|| "someone else".into()),
                at: Some(now.changed.at).filter(|at| !at.is_empty()).unwrap_or_else(|| "an unknown time".into()),
                revision: now.revision,
            },
            Ok(None) => ActionError::SpecChanged { by: "someone else".into(), at: "just now".into(), revision: 0 },
            Err(source) => ActionError::Cluster { what: format!("cannot read tenant {id}"), source },
        }
    }

    /// Journals, audits and posts the Event of an action that ended with `done`.
    async fn record(
        &self,
        session: Option<&Session>,
        request: &ActionRequest,
        done: Result<String, ActionError>,
        trail: Trail,
        started: Instant,
        mut progress: impl FnMut(ActionEvent) + Send,
    ) -> Result<Outcome, ActionError> {
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
        let silent = matches!(done, Err(ActionError::Silent));
        let identity = match session {
            Some(session) if !silent => tokio::time::timeout(RECORD_DEADLINE, session.identity())
                .await
                .unwrap_or_else(|_| "(unknown)".to_owned()),
            _ => "(unknown)".to_owned(),
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
                reason: request.reason.clone(),
            })
            .await?;
        if let (Some(session), true, false) = (session, trail.namespace_exists_after, silent) {
            let posted = tokio::time::timeout(
                RECORD_DEADLINE,
                record::event(&session.client, &request.tenant, kind, result, &message),
            )
            .await;
            match posted {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    tracing::warn!(tenant = %request.tenant, error = %crate::error::chain(&error), "cannot post the tenant event");
                }
                Err(_) => tracing::warn!(tenant = %request.tenant, "the tenant event was not posted in time"),
            }
        }
        drop(trail.running);
        if matches!(result, ActionResult::Succeeded | ActionResult::Refused) {
            secret_config::release(request);
        }
        progress(ActionEvent::Finished { step: Step::Record });
        let outcome = Outcome { result, message, journal_id: trail.journal_id.unwrap_or(0), duration_ms };
        tracing::info!(tenant = %request.tenant, context = %request.context, action = kind.name(), result = ?outcome.result, message = %outcome.message, "action ended");
        progress(ActionEvent::Ended { outcome: outcome.clone() });
        Ok(outcome)
    }

    /// Runs the request of journal entry `journal_id` again, planned from the live cluster (every
    /// action is idempotent, so this finishes what an interrupted run started); the entry is
    /// marked resumed when it succeeds. An entry a live process still runs is refused.
    pub async fn resume(
        &self,
        entry: &ContextEntry,
        journal_id: i64,
        progress: impl FnMut(ActionEvent) + Send,
    ) -> Result<Outcome, ActionError> {
        let journal = self.orphaned_entry(entry, journal_id).await?;
        let outcome = self.run(entry, &journal.request, progress).await?;
        if outcome.result == ActionResult::Succeeded {
            let message = format!("finished by action #{}", outcome.journal_id);
            self.cache.journal_finish(journal_id, JournalState::Resumed, &message, &now()).await?;
        }
        Ok(outcome)
    }

    /// Undoes journal entry `journal_id`, deciding from the tenant as it is now: a spec change
    /// goes back to the revision before it; an action that changed no spec (restart, backup,
    /// restore) applies the spec as it is, so the app runs as the spec says; a tenant the entry
    /// created is deleted (then `confirm` must be its id) only while it is still as created.
    /// Nothing else ever becomes a delete. An entry a live process still runs is refused.
    pub async fn roll_back(
        &self,
        entry: &ContextEntry,
        journal_id: i64,
        confirm: &str,
        progress: impl FnMut(ActionEvent) + Send,
    ) -> Result<Outcome, ActionError> {
        let journal = self.orphaned_entry(entry, journal_id).await?;
        let id = &journal.request.tenant;
        let session = match Session::open(entry).await {
            Ok(session) => session,
            Err(error) => {
                return self
                    .record(None, &journal.request, Err(error), Trail::default(), Instant::now(), progress)
                    .await;
            }
        };
        let live = stored::read(&session.client, id)
            .await
            .map_err(|source| ActionError::Cluster { what: format!("cannot read tenant {id}"), source })?;
        let change = match (&journal.request.change, journal.revision_before, &live) {
            (Change::Create { .. }, 0, Some(now)) if now.revision > 1 => {
                return Err(ActionError::ChangedSinceCreate { tenant: id.clone(), revision: now.revision });
            }
            (Change::Create { .. }, 0, _) => Change::Delete { confirm: confirm.to_owned() },
            (Change::Restart { .. } | Change::Backup { .. } | Change::Restore { .. }, _, _) => {
                Change::version_update(None)
            }
            (_, 0, _) => return Err(ActionError::NothingToRollBack { id: journal_id }),
            (_, revision, _) => Change::Rollback { revision },
        };
        let reason = format!("roll back of action #{journal_id}");
        let request = ActionRequest { change, take_over: false, reason, ..journal.request };
        let outcome = self.run_in(&session, &request, progress).await?;
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
        let session = Session::open(entry).await?;
        let needs = needs(id);
        let all: Vec<Permission> = needs.iter().flat_map(|(_, wanted)| wanted.iter().cloned()).collect();
        let missing = session.missing(&all).await?;
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

    /// Actions that did not finish, oldest first: failed ones, ones whose process died, and
    /// ones still running in a live process (`running_in` says where; those are not to be
    /// resumed or rolled back).
    pub async fn unfinished(&self) -> Result<Vec<JournalEntry>, ActionError> {
        let owned = self.cache.unfinished().await?;
        Ok(owned
            .into_iter()
            .map(|owned| JournalEntry { running_in: self.running.running_in(&owned), ..owned.entry })
            .collect())
    }

    /// Journal entry `journal_id` of `entry`'s cluster, unless a live process still runs it.
    async fn orphaned_entry(&self, entry: &ContextEntry, journal_id: i64) -> Result<JournalEntry, ActionError> {
        match self.cache.journal_entry(journal_id).await? {
            Some(owned) if owned.entry.request.context == entry.name => match self.running.running_in(&owned) {
                Some(running_in) => Err(ActionError::StillRunning { id: journal_id, running_in }),
                None => Ok(owned.entry),
            },
            _ => Err(ActionError::NoJournalEntry { id: journal_id, context: entry.name.clone() }),
        }
    }
}
