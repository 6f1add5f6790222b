//! Everything known of a tenant in time order, and the fleet's changes since the window was last
//! open.

use serde::{Deserialize, Serialize};

/// What kind of thing happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    /// A new spec revision (from the tenant's history: who, which action, why).
    Revision,
    /// A Tenantry action (this machine's audit log, or a colleague's Event on the namespace).
    Action,
    /// Someone changed an object outside Tenantry (managedFields: the writer and when).
    Edit,
    /// The tenant's health changed, as Tenantry saw it.
    Health,
    /// A Warning event.
    Warning,
    /// A container ended and was restarted.
    Restart,
    /// A backup ran.
    Backup,
}

impl TimelineKind {
    /// The lower-case name, as the CLI and the window label it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Revision => "revision",
            Self::Action => "action",
            Self::Edit => "edit",
            Self::Health => "health",
            Self::Warning => "warning",
            Self::Restart => "restart",
            Self::Backup => "backup",
        }
    }
}

/// One thing that happened to a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// When (RFC 3339).
    pub at: String,
    /// What kind of thing.
    pub kind: TimelineKind,
    /// One line, e.g. "Revision 4: scale".
    pub title: String,
    /// More, e.g. the reason given or the event's message.
    pub detail: String,
    /// Who, when known (an OS user, a Kubernetes identity, a field manager).
    pub by: String,
}

impl TimelineEntry {
    /// `manager` changed `path` of `object` (`Kind/name`) outside Tenantry at `at`.
    pub fn edit(object: &str, path: &str, manager: &str, at: &str) -> Self {
        Self {
            at: at.to_owned(),
            kind: TimelineKind::Edit,
            title: format!("{object}: {path} changed outside Tenantry"),
            detail: "differs from what the spec renders until synced or accepted".to_owned(),
            by: manager.to_owned(),
        }
    }
}

/// A tenant's timeline, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    /// The entries, newest first.
    pub entries: Vec<TimelineEntry>,
    /// Whether the cluster was read now (else only what the cache remembers).
    pub live: bool,
    /// What could not be read, e.g. events the identity may not list.
    pub notes: Vec<String>,
}

/// One tenant's change since the window was last open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantChange {
    /// Its cluster (context).
    pub cluster: String,
    /// The tenant.
    pub id: String,
    /// What it was (empty for a new tenant).
    pub before: String,
    /// What it is (empty for a tenant that is gone).
    pub after: String,
}

/// The tenants that changed in one way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeGroup {
    /// The kind of change: "health", "version", "spec", "new", "gone".
    pub kind: String,
    /// The tenants, by cluster and id.
    pub tenants: Vec<TenantChange>,
}

/// The fleet's changes since the window was last open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SinceLastLooked {
    /// When the window was last open (RFC 3339); `None` the first time.
    pub since: Option<String>,
    /// The changes, grouped by kind.
    pub groups: Vec<ChangeGroup>,
}
