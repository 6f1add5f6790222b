//! One tenant in detail: workloads, pods, where its fields come from, warning events, backups
//! and health history.

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
    /// The workload it belongs to, if any.
    #[serde(default)]
    pub workload: Option<String>,
    /// Its containers that have started, whose logs can be read.
    #[serde(default)]
    pub containers: Vec<String>,
}

/// One workload of a tenant (a Deployment or StatefulSet), as the detail lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadSummary {
    /// `Deployment` or `StatefulSet`.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// Pods ready.
    pub ready: i32,
    /// Pods it asks for.
    pub desired: i32,
    /// The image tags its containers run (`name:tag`, without the registry).
    pub images: Vec<String>,
    /// Who manages it: "Tenantry", "Helm chart wordpress-15.2.3", a GitOps controller, or
    /// "unmanaged".
    pub owner: String,
    /// Whether it is the tenant's main workload (its version and pods are the row's).
    pub main: bool,
}

/// Where one of a tenant's fields was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldOrigin {
    /// The field, as the detail names it (e.g. "Version").
    pub field: String,
    /// Where its value came from, e.g. "label app.kubernetes.io/version of Deployment web".
    pub source: String,
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
    /// Its workloads, the main one first.
    #[serde(default)]
    pub workloads: Vec<WorkloadSummary>,
    /// Where each field of the row was read from.
    #[serde(default)]
    pub field_sources: Vec<FieldOrigin>,
    /// The pods of its workloads, by name (backup pods show as backups).
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

impl TenantDetail {
    /// The detail of a tenant whose cluster is not watched now: its row and nothing else.
    pub fn row_only(tenant: TenantSummary) -> Self {
        Self {
            tenant,
            workloads: Vec::new(),
            field_sources: Vec::new(),
            pods: Vec::new(),
            events: Vec::new(),
            backups: Vec::new(),
            backup_schedule: None,
            ingress_hosts: Vec::new(),
            autoscaling: None,
            history: Vec::new(),
        }
    }
}
