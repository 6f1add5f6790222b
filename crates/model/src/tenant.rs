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
    /// Desired pods while not suspended (the autoscaler's bounds win when it is on).
    pub replicas: i32,
    /// Autoscaling bounds, when the tenant scales with its load.
    pub autoscaling: Option<Autoscaling>,
    /// App configuration, key → value.
    pub config: BTreeMap<String, String>,
    /// Backup schedule and retention, if backups are on.
    pub backup: Option<BackupPolicy>,
    /// Scaled to zero on purpose.
    pub suspended: bool,
    /// Values for the blueprint's own parameters, by name (the blueprint declares their types).
    pub parameters: BTreeMap<String, String>,
    /// Secret config keys (named like credentials) and when each was last set (RFC 3339); their
    /// values live only in the tenant's Secret `tenantry-secret-config`.
    pub secret_config: BTreeMap<String, String>,
    /// Without a blueprint (an adopted tenant): each workload (`Deployment/web`) and its pods
    /// while not suspended.
    pub workloads: BTreeMap<String, i32>,
}

/// How far an autoscaled tenant may scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Autoscaling {
    /// Fewest pods.
    pub min: i32,
    /// Most pods.
    pub max: i32,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
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
    /// Not enough is known (no workload, unreadable spec).
    #[default]
    Unknown,
}

impl Health {
    /// The lower-case name, as the window, the CLI and the timeline show it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Suspended => "suspended",
            Self::Progressing => "progressing",
            Self::Degraded => "degraded",
            Self::Down => "down",
            Self::Unknown => "unknown",
        }
    }
}

/// One row of the fleet: a tenant on one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TenantSummary {
    /// Tenant id (the namespace name).
    pub id: String,
    /// Context of the cluster the tenant lives on.
    pub cluster: String,
    /// Name shown to people.
    pub display_name: String,
    /// The customer.
    pub customer: String,
    /// Domains served: the spec's, else the hosts of the namespace's Ingresses.
    pub domains: Vec<String>,
    /// Blueprint name.
    pub blueprint: String,
    /// App version: the spec's, else read from the main workload.
    pub version: String,
    /// Plan name.
    pub plan: String,
    /// Overall health.
    pub health: Health,
    /// Why the health is what it is, in a few words.
    pub reason: String,
    /// Pods of the main workload ready.
    pub ready: i32,
    /// Pods the main workload wants.
    pub desired: i32,
    /// Container restarts summed over the tenant's pods.
    pub restarts: i32,
    /// Spec revision (`tenantry.io/revision`).
    pub revision: u64,
    /// When the namespace was created (RFC 3339).
    pub created: Option<String>,
    /// The newest backup run, if any.
    pub last_backup: Option<BackupRun>,
    /// When Tenantry last changed the tenant's spec (RFC 3339).
    pub last_change: Option<String>,
    /// Warning events in the tenant's namespace.
    pub warnings: u32,
    /// The GitOps controller that manages the tenant's objects and reverts changes made
    /// elsewhere, e.g. "Argo CD application shop-alder".
    #[serde(default)]
    pub gitops: Option<String>,
    /// What the background drift check found changed outside Tenantry, e.g. "Deployment app:
    /// spec.replicas changed by kubectl at …"; `None` when nothing was found.
    #[serde(default)]
    pub drift: Option<String>,
    /// Whether this row is live from its cluster or remembered from the cache.
    pub freshness: Freshness,
}

impl TenantSummary {
    /// The order the window's table opens in: by id, then by cluster.
    pub fn fleet_order(&self, other: &Self) -> std::cmp::Ordering {
        (&self.id, &self.cluster).cmp(&(&other.id, &other.cluster))
    }

    /// Whether its id, display name, customer or a domain contains `needle` (lower case; an
    /// empty needle matches every tenant).
    pub fn matches(&self, needle: &str) -> bool {
        needle.is_empty()
            || [&self.id, &self.display_name, &self.customer]
                .into_iter()
                .chain(&self.domains)
                .any(|field| field.to_lowercase().contains(needle))
    }
}

/// Where a row comes from: the cluster right now, or the local cache.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Freshness {
    /// Kept current by a live watch.
    #[default]
    Live,
    /// Read from the cache at start, before its cluster answered.
    Cached {
        /// When the row was last seen live (RFC 3339).
        as_of: String,
    },
    /// Its cluster stopped answering; the row shows the last thing seen.
    Stale {
        /// When the row was last seen live (RFC 3339).
        last_seen: String,
    },
}

impl Freshness {
    /// Whether the row is live.
    pub fn is_live(&self) -> bool {
        matches!(self, Self::Live)
    }

    /// When the row was last seen live, unless it is live now.
    pub fn seen_at(&self) -> Option<&str> {
        match self {
            Self::Live => None,
            Self::Cached { as_of: at } | Self::Stale { last_seen: at } => Some(at),
        }
    }
}

/// One backup: a Job labelled `tenantry.io/backup=<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRun {
    /// Backup id (the label value).
    pub id: String,
    /// When the Job started (RFC 3339).
    pub started: Option<String>,
    /// When it finished (RFC 3339).
    pub finished: Option<String>,
    /// How it went.
    pub result: BackupResult,
}

/// The outcome of a backup Job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackupResult {
    /// Still running.
    Running,
    /// Completed.
    Succeeded,
    /// Failed.
    Failed,
}
