//! Tenants: the desired spec Tenantry keeps on the namespace, and the summary the fleet shows.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A tenant's desired state, stored as JSON in the namespace annotation `tenantry.io/spec`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TenantSpec {
    /// Name shown to people, e.g. "Alder Books site".
    pub display_name: String,
    /// The customer who owns the tenant.
    pub customer: String,
    /// Domains the tenant serves.
    pub domains: Vec<String>,
    /// Blueprint that renders the tenant's objects.
    pub blueprint: String,
    /// App version (image tag).
    pub version: String,
    /// Plan name (CPU, memory, storage size).
    pub plan: String,
    /// Desired pods while not suspended.
    pub replicas: i32,
    /// App configuration, key → value.
    pub config: BTreeMap<String, String>,
    /// Backup schedule and retention, if backups are on.
    pub backup: Option<BackupPolicy>,
    /// Scaled to zero on purpose.
    pub suspended: bool,
}

/// When backups run and how many are kept.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BackupPolicy {
    /// Cron schedule, e.g. `0 3 * * *`.
    pub schedule: String,
    /// Backups kept.
    pub retention: u32,
}

/// How a tenant is doing, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// Every desired pod is ready on the current version.
    Healthy,
    /// Scaled to zero on purpose.
    Suspended,
    /// A rollout is under way.
    Progressing,
    /// Some but not all pods are ready.
    Degraded,
    /// No pod is ready although some are wanted.
    Down,
    /// Not enough is known (no app Deployment, unreadable spec).
    Unknown,
}

/// One row of the fleet: a tenant on one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantSummary {
    /// Tenant id (the namespace name).
    pub id: String,
    /// Context of the cluster the tenant lives on.
    pub cluster: String,
    /// Name shown to people.
    pub display_name: String,
    /// The customer.
    pub customer: String,
    /// Domains served.
    pub domains: Vec<String>,
    /// Blueprint name.
    pub blueprint: String,
    /// App version from the spec.
    pub version: String,
    /// Plan name.
    pub plan: String,
    /// Overall health.
    pub health: Health,
    /// Why the health is what it is, in a few words.
    pub reason: String,
    /// Pods ready.
    pub ready: i32,
    /// Pods wanted.
    pub desired: i32,
    /// Container restarts summed over the tenant's pods.
    pub restarts: i32,
    /// Spec revision (`tenantry.io/revision`).
    pub revision: u64,
    /// When the namespace was created (RFC 3339).
    pub created: Option<String>,
}

/// One batch of changes to one cluster's tenants, sent as they happen.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TenantChanges {
    /// The cluster (context) the batch is about; its first batch lists every tenant.
    pub cluster: String,
    /// Tenants that appeared or changed, in full.
    pub upserted: Vec<TenantSummary>,
    /// Tenants that disappeared, as `(cluster, id)`.
    pub removed: Vec<(String, String)>,
}

impl TenantChanges {
    /// Whether the batch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.upserted.is_empty() && self.removed.is_empty()
    }
}

/// One message on the tenant stream from the backend to the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum FleetEvent {
    /// The clusters that will be watched (sent first); each is connecting until it reports.
    Watching {
        /// Their contexts.
        contexts: Vec<String>,
    },
    /// A batch of tenant changes from one cluster (its first batch lists every tenant).
    Changes(TenantChanges),
    /// A cluster whose tenants cannot be watched, and why.
    ClusterFailed {
        /// The context of the cluster.
        context: String,
        /// Why.
        error: crate::UiError,
    },
}

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

/// One tenant in detail: its summary and its pods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantDetail {
    /// The summary, as in the fleet.
    pub tenant: TenantSummary,
    /// Its pods, by name.
    pub pods: Vec<PodSummary>,
}
