//! One tenant in detail: pods, warning events, backups and health history.

use serde::{Deserialize, Serialize};

use crate::{BackupRun, Health, TenantSummary};

/// One pod of a tenant, as the detail view lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodSummary {
    /// Pod name.
    pub name: String,
    /// Phase: Pending, Running, Succeeded, Failed, Unknown.
    pub phase: String,
    /// Ready condition is true.
    pub ready: bool,
    /// Container restarts.
    pub restarts: i32,
    /// Node it runs on, once scheduled.
    pub node: Option<String>,
    /// When it was created (RFC 3339).
    pub created: Option<String>,
}

/// A Warning event in the tenant's namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningEvent {
    /// The object it is about, as `Kind/name`.
    pub object: String,
    /// Machine-readable reason, e.g. `FailedScheduling`.
    pub reason: String,
    /// What happened.
    pub message: String,
    /// How often it happened.
    pub count: i32,
    /// When it last happened (RFC 3339).
    pub last_seen: Option<String>,
}

/// The tenant's health changed at `at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthTransition {
    /// When Tenantry saw the change (RFC 3339).
    pub at: String,
    /// The new health.
    pub health: Health,
    /// Why.
    pub reason: String,
}

/// One tenant in detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantDetail {
    /// The summary, as in the fleet (cached or stale when its cluster is not live).
    pub tenant: TenantSummary,
    /// Its app pods, by name (backup pods show as backups).
    pub pods: Vec<PodSummary>,
    /// Recent Warning events, newest first.
    pub events: Vec<WarningEvent>,
    /// Backups, newest first.
    pub backups: Vec<BackupRun>,
    /// The backup schedule of its CronJob, if any.
    pub backup_schedule: Option<String>,
    /// Hosts its Ingresses serve.
    pub ingress_hosts: Vec<String>,
    /// Autoscaling bounds `(min, max)`, if an HPA scales it.
    pub autoscaling: Option<(i32, i32)>,
    /// Health changes, oldest first.
    pub history: Vec<HealthTransition>,
}
