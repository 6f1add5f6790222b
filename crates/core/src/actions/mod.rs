//! One-click tenant actions. Every action runs the same pipeline: validate the input, check
//! permissions (SelfSubjectAccessReview), journal the intent, render and dry-run on the server
//! (the preview), server-side apply, wait until the tenant runs as asked, and record the result
//! (journal, audit log, Kubernetes Event). Running an action again finishes it without
//! duplicates: every write is a server-side apply of the whole wanted state.

mod backup;
mod converge;
mod diff;
mod execute;
mod mirror;
mod objects;
mod plan;
mod record;
mod session;
mod stored;
mod transition;
pub mod validate;

use std::time::{Duration, Instant};

use futures::{StreamExt as _, TryStreamExt as _};
use tenantry_model::{
    ActionAccess, ActionEvent, ActionKind, ActionRequest, ActionResult, AuditEntry, Change, ErrorKind, JournalEntry,
    JournalState, Outcome, Preview, Step, TenantSpec, UiError,
};

use crate::access::Permission;
use crate::blueprint::{BlueprintError, Catalog};
use crate::cache::{Cache, CacheError};
use crate::inventory::now;
use crate::kubeconfig::{ContextEntry, ContextError};
pub use backup::BackupError;
pub use converge::ConvergeError;
pub use objects::ObjectError;
use session::Session;
pub use transition::TransitionError;

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

impl Actions {
    /// Actions journaled in `cache`, rendering with `catalog`.
    pub fn new(cache: Cache, catalog: Catalog, settings: ActionSettings) -> Self {
        Self { cache, catalog, settings }
    }

    /// Validates, checks permissions and dry-runs `request` without changing anything.
    pub async fn preview(&self, entry: &ContextEntry, request: &ActionRequest) -> Result<Preview, ActionError> {
        let session = Session::open(entry).await?;
        let mut trail = Trail::default();
        let prepared = self.prepare(&session, request, &mut |_| {}, &mut trail, false).await?;
        Ok(prepared.preview)
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
        let started = Instant::now();
        let mut trail = Trail::default();
        let done = self.execute(session, request, &mut progress, &mut trail).await;
        self.record(Some(session), request, done, trail, started, progress).await
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
        let identity = match session {
            Some(session) => session.identity().await,
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
        if let (Some(session), true) = (session, trail.namespace_exists_after)
            && let Err(error) = record::event(&session.client, &request.tenant, kind, result, &message).await
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
        let session = Session::open(entry).await?;
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
}
