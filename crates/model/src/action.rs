//! Actions on tenants: what the user asks for, the preview of what it will change, how it
//! progresses, and the records it leaves (journal and audit).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::tenant::{Autoscaling, TenantSpec};

/// The kinds of action, as the audit log names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// A new tenant.
    Create,
    /// Version, plan, domains or config changed.
    Update,
    /// Replicas or autoscaling bounds changed.
    Scale,
    /// Pods replaced one by one.
    Restart,
    /// Scaled to zero on purpose.
    Suspend,
    /// Back to the remembered size.
    Resume,
    /// Back to the spec of an earlier revision.
    Rollback,
    /// A backup taken now.
    Backup,
    /// The tenant's data restored from a backup.
    Restore,
    /// The tenant's namespace removed; its spec stays in the cache.
    Delete,
    /// A tenant Tenantry did not create made a Tenantry tenant.
    Adopt,
}

impl ActionKind {
    /// The lower-case name (`scale`), as in the CLI and the audit log.
    pub fn name(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Scale => "scale",
            Self::Restart => "restart",
            Self::Suspend => "suspend",
            Self::Resume => "resume",
            Self::Rollback => "rollback",
            Self::Backup => "backup",
            Self::Restore => "restore",
            Self::Delete => "delete",
            Self::Adopt => "adopt",
        }
    }
}

/// One action on one tenant of one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRequest {
    /// The kubeconfig context of the tenant's cluster.
    pub context: String,
    /// The tenant id (its namespace).
    pub tenant: String,
    /// What to do.
    pub change: Change,
    /// Take over fields another writer set, after the user has seen the conflict; without it a
    /// conflict stops the action and nothing is overwritten.
    #[serde(default)]
    pub take_over: bool,
    /// Why the action is run (e.g. a ticket number), kept in the audit log and the history.
    #[serde(default)]
    pub reason: String,
}

/// What an action changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Change {
    /// Create the tenant with this spec.
    Create {
        /// The wanted spec.
        spec: TenantSpec,
    },
    /// Change some of the spec; fields left `None` stay as they are.
    Update {
        /// New app version.
        version: Option<String>,
        /// New plan.
        plan: Option<String>,
        /// New domains (replacing the old list).
        domains: Option<Vec<String>>,
        /// New app configuration (replacing the old one).
        config: Option<BTreeMap<String, String>>,
        /// Single app config keys to set (`Some`) or remove (`None`); the others stay.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        config_keys: BTreeMap<String, Option<String>>,
        /// Blueprint parameters to set, by name; the others stay.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        parameters: BTreeMap<String, String>,
    },
    /// Run a fixed number of pods, or let an autoscaler choose within bounds.
    Scale {
        /// Fixed pods (turns autoscaling off).
        replicas: Option<i32>,
        /// Autoscaling bounds (turns autoscaling on).
        autoscaling: Option<Autoscaling>,
        /// The workload to scale, on a tenant without a blueprint (`Deployment/web` or `web`);
        /// a blueprint's tenant scales its app.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        workload: Option<String>,
    },
    /// Replace the pods one by one.
    Restart {
        /// Only this workload's pods (`Deployment/web` or `web`), on a tenant without a
        /// blueprint; every workload's when `None`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        workload: Option<String>,
        /// The stamp written on the pod template (set when the action starts, or frozen by a
        /// rollout's plan, and kept in the journal): writing the same stamp again replaces no
        /// pod, so a restart resumed after a cut never replaces the pods twice.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stamp: Option<String>,
    },
    /// Scale to zero, remembering the size.
    Suspend,
    /// Scale back to the remembered size.
    Resume,
    /// Go back to the spec of an earlier revision (kept in the tenant's history); this makes a
    /// new revision, like a revert.
    Rollback {
        /// The revision whose spec to restore.
        revision: u64,
    },
    /// Take a backup now, with the tenant's backup CronJob's Job template.
    Backup {
        /// The new backup's id (a DNS label, e.g. `manual-20261121-101500`); running the same
        /// request again finishes that backup instead of starting another.
        backup: String,
    },
    /// Restore the tenant's data from a backup: suspend, run the blueprint's restore Job,
    /// resume, verify.
    Restore {
        /// The backup's id.
        backup: String,
        /// Which attempt this is (set when the action starts and kept in the journal): resuming
        /// the same attempt finishes its restore Job, any other attempt runs a fresh one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attempt: Option<String>,
    },
    /// Make a tenant Tenantry did not create (a namespace the tenancy rules make a tenant) a
    /// Tenantry tenant: its spec is recorded, with revisions and history from now on.
    Adopt {
        /// The spec to record: with a blueprint, the blueprint renders the tenant from now on
        /// (its objects map onto those that exist); without one (empty), the spec records the
        /// workloads' sizes. Empty fields are read from what runs: sizes, domains from the
        /// Ingress hosts, the version from the main workload.
        spec: TenantSpec,
    },
    /// Remove the tenant's namespace and everything in it.
    Delete {
        /// The tenant id typed again by the user.
        confirm: String,
    },
}

impl Change {
    /// An update of the version alone (`None`: a sync — the render applied again, nothing
    /// changed in the spec).
    pub fn version_update(version: Option<String>) -> Self {
        Self::Update {
            version,
            plan: None,
            domains: None,
            config: None,
            config_keys: BTreeMap::new(),
            parameters: BTreeMap::new(),
        }
    }

    /// The kind of this change.
    pub fn kind(&self) -> ActionKind {
        match self {
            Self::Create { .. } => ActionKind::Create,
            Self::Update { .. } => ActionKind::Update,
            Self::Scale { .. } => ActionKind::Scale,
            Self::Restart { .. } => ActionKind::Restart,
            Self::Suspend => ActionKind::Suspend,
            Self::Resume => ActionKind::Resume,
            Self::Rollback { .. } => ActionKind::Rollback,
            Self::Backup { .. } => ActionKind::Backup,
            Self::Restore { .. } => ActionKind::Restore,
            Self::Delete { .. } => ActionKind::Delete,
            Self::Adopt { .. } => ActionKind::Adopt,
        }
    }
}

/// What an action will do, from the server's dry run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preview {
    /// The spec revision now (0 for a new tenant).
    pub revision_before: u64,
    /// The spec revision afterwards.
    pub revision_after: u64,
    /// Every object the tenant's blueprint renders, and any it will remove.
    pub objects: Vec<ObjectChange>,
    /// Things the user should know, e.g. objects that could not be dry-run.
    pub notes: Vec<String>,
}

impl Preview {
    /// Whether applying it changes anything.
    pub fn changes_anything(&self) -> bool {
        self.revision_after != self.revision_before
            || self.objects.iter().any(|o| !matches!(o.operation, Operation::Unchanged | Operation::Kept))
    }
}

/// One object in a preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectChange {
    /// Its kind, e.g. `Deployment`.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// What happens to it.
    pub operation: Operation,
    /// The fields that change (for updates), secrets hidden.
    pub fields: Vec<FieldChange>,
    /// Fields another writer changed since Tenantry applied them, which applying takes back.
    #[serde(default)]
    pub drift: Vec<Drift>,
}

/// A field of an object Tenantry renders that another writer (kubectl, a hand edit) changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    /// The field, e.g. `.spec.replicas`.
    pub path: String,
    /// The field manager that wrote it, e.g. `kubectl`.
    pub manager: String,
    /// When that manager last wrote the object (RFC 3339); for a write the server recorded no
    /// time for (the `scale` subresource), when the object last changed.
    pub at: Option<String>,
}

/// What happens to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// It is created.
    Create,
    /// Some fields change.
    Update,
    /// It is removed.
    Delete,
    /// Nothing changes.
    Unchanged,
    /// It exists and is deliberately left as it is (generated credentials).
    Kept,
}

/// One changed field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Its path, e.g. `spec.replicas` or `spec.template.spec.containers[0].image`.
    pub path: String,
    /// The value now (`None`: absent).
    pub before: Option<String>,
    /// The value afterwards (`None`: removed).
    pub after: Option<String>,
}

/// The steps every action goes through, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Input checked.
    Validate,
    /// Permissions checked (SelfSubjectAccessReview).
    Access,
    /// Intent written to the journal.
    Journal,
    /// Rendered and dry-run on the server.
    Preview,
    /// Applied (server-side apply).
    Apply,
    /// Waiting until the tenant runs as asked.
    Converge,
    /// Result written to the journal, the audit log and a Kubernetes Event.
    Record,
}

impl Step {
    /// Every step in order.
    pub const ALL: [Step; 7] =
        [Self::Validate, Self::Access, Self::Journal, Self::Preview, Self::Apply, Self::Converge, Self::Record];

    /// What the step does, for progress displays.
    pub fn title(self) -> &'static str {
        match self {
            Self::Validate => "Check the input",
            Self::Access => "Check permissions",
            Self::Journal => "Record the intent",
            Self::Preview => "Dry run on the server",
            Self::Apply => "Apply",
            Self::Converge => "Wait until it runs as asked",
            Self::Record => "Record the result",
        }
    }
}

/// Progress of a running action, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ActionEvent {
    /// A step started.
    Started {
        /// The step.
        step: Step,
    },
    /// A step finished.
    Finished {
        /// The step.
        step: Step,
    },
    /// The server's dry run, before anything is applied.
    Planned {
        /// What will change.
        preview: Preview,
    },
    /// The rollout moved.
    Rollout {
        /// Pods ready.
        ready: i32,
        /// Pods running the new template.
        updated: i32,
        /// Pods wanted.
        desired: i32,
    },
    /// The action ended.
    Ended {
        /// How.
        outcome: Outcome,
    },
}

/// How an action ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Succeeded, failed or refused.
    pub result: ActionResult,
    /// One sentence for the user.
    pub message: String,
    /// The journal entry of the action.
    pub journal_id: i64,
    /// How long it took.
    pub duration_ms: u64,
}

/// The result of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionResult {
    /// Done and converged.
    Succeeded,
    /// Started but did not finish (error, conflict, not converged in time).
    Failed,
    /// Not started: invalid input or missing permission.
    Refused,
}

impl ActionResult {
    /// The lower-case name (`refused`), as in the audit log.
    pub fn name(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Refused => "refused",
        }
    }
}

/// The state of a journal entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JournalState {
    /// Under way, or the app died while it was (then it is listed as unfinished).
    Running,
    /// Finished as asked.
    Succeeded,
    /// Ended with an error.
    Failed,
    /// Undone by a roll back.
    RolledBack,
    /// Finished by a later run of the same request.
    Resumed,
}

/// One entry of the action journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Its id.
    pub id: i64,
    /// When the action started (RFC 3339).
    pub started: String,
    /// What was asked.
    pub request: ActionRequest,
    /// The spec revision before the action, to roll back to (0: the tenant did not exist).
    pub revision_before: u64,
    /// Where it stands.
    pub state: JournalState,
    /// The last step reached.
    pub step: Step,
    /// The error, if it failed.
    pub message: String,
    /// Who runs it while it is running: `Some` names a live process elsewhere (not to be
    /// resumed or rolled back from here); `None` for an entry whose owner is gone or that ended.
    #[serde(default)]
    pub running_in: Option<String>,
}

/// One audit record: who did what to which tenant, and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Its id.
    pub id: i64,
    /// When the action ended (RFC 3339).
    pub at: String,
    /// The operating-system user who ran it.
    pub os_user: String,
    /// The Kubernetes identity it ran as (SelfSubjectReview).
    pub identity: String,
    /// The context of the cluster.
    pub context: String,
    /// The tenant.
    pub tenant: String,
    /// The action.
    pub action: ActionKind,
    /// The spec revision before.
    pub revision_before: u64,
    /// The spec revision after.
    pub revision_after: u64,
    /// How it went.
    pub result: ActionResult,
    /// How long it took.
    pub duration_ms: u64,
    /// One sentence on the result.
    pub message: String,
    /// Why it was run, as the user gave it (e.g. a ticket number).
    #[serde(default)]
    pub reason: String,
}

/// Whether the current identity may run one kind of action on a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionAccess {
    /// The action.
    pub action: ActionKind,
    /// The permissions it lacks, e.g. `delete namespaces` (empty: allowed).
    pub missing: Vec<String>,
}

/// Which audit entries to show; empty fields match everything.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Only this cluster (context).
    pub context: Option<String>,
    /// Only tenants whose id contains this text.
    pub tenant: Option<String>,
    /// Only this action.
    pub action: Option<ActionKind>,
    /// Only this result.
    pub result: Option<ActionResult>,
}

impl AuditFilter {
    /// Whether `entry` passes the filter.
    pub fn matches(&self, entry: &AuditEntry) -> bool {
        self.context.as_ref().is_none_or(|c| *c == entry.context)
            && self.tenant.as_ref().is_none_or(|t| entry.tenant.contains(t.as_str()))
            && self.action.is_none_or(|a| a == entry.action)
            && self.result.is_none_or(|r| r == entry.result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(context: &str, tenant: &str, action: ActionKind, result: ActionResult) -> AuditEntry {
        AuditEntry {
            id: 1,
            at: "2026-11-21T10:00:00Z".into(),
            os_user: "ana".into(),
            identity: "admin".into(),
            context: context.into(),
            tenant: tenant.into(),
            action,
            revision_before: 1,
            revision_after: 2,
            result,
            duration_ms: 900,
            message: String::new(),
            reason: String::new(),
        }
    }

    #[test]
    fn audit_filters_combine() {
        let scaled = entry("eu", "alder-books", ActionKind::Scale, ActionResult::Succeeded);
        let refused = entry("us", "birch", ActionKind::Delete, ActionResult::Refused);
        let all = AuditFilter::default();
        assert!(all.matches(&scaled) && all.matches(&refused));
        let eu_alder =
            AuditFilter { context: Some("eu".into()), tenant: Some("alder".into()), ..AuditFilter::default() };
        assert!(eu_alder.matches(&scaled) && !eu_alder.matches(&refused));
        let refusals = AuditFilter { result: Some(ActionResult::Refused), ..AuditFilter::default() };
        assert!(!refusals.matches(&scaled) && refusals.matches(&refused));
        let deletes = AuditFilter { action: Some(ActionKind::Delete), ..AuditFilter::default() };
        assert!(deletes.matches(&refused));
    }
}
