//! The tenant stream from the backend to its subscribers: a snapshot, then diffs and
//! connection changes.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::{TenantSummary, UiError};

/// One batch of changes to one cluster's tenants, sent as they happen.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TenantChanges {
    /// The cluster (context) the batch is about.
    pub cluster: String,
    /// Tenants that appeared or changed, in full (shared with the backend's own rows, which
    /// fleet-wide batches would otherwise copy).
    pub upserted: Vec<Arc<TenantSummary>>,
    /// Tenants that disappeared, as `(cluster, id)`.
    pub removed: Vec<(String, String)>,
}

impl TenantChanges {
    /// Whether the batch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.upserted.is_empty() && self.removed.is_empty()
    }
}

/// How Tenantry's watches of one cluster are doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// Listing for the first time.
    Connecting,
    /// Every watch is current.
    Live,
    /// Was live, lost the connection, retrying with backoff.
    Reconnecting,
    /// Never answered (or the context cannot be used); retrying with backoff.
    Unreachable,
    /// The cluster rejects the credentials or forbids listing tenants.
    Unauthorized,
}

/// The connection of one cluster as the fleet view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterStatus {
    /// The context the cluster is reached through.
    pub context: String,
    /// Where the connection stands.
    pub state: ConnectionState,
    /// The most recent error, kept after recovery until the next one.
    pub last_error: Option<UiError>,
    /// When every watch was last current (RFC 3339).
    pub last_live: Option<String>,
    /// What this identity cannot see, e.g. "Warning events are hidden: …".
    pub notes: Vec<String>,
}

/// One message on the tenant stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum FleetEvent {
    /// Everything known right now (sent first to each subscriber): every watched cluster, every
    /// tenant (cached rows until their cluster syncs), and a notice about the cache, if any.
    Snapshot {
        /// Every watched cluster.
        clusters: Vec<ClusterStatus>,
        /// Every tenant known (shared with the backend's own rows).
        tenants: Vec<Arc<TenantSummary>>,
        /// Something the user should know about the cache (e.g. it was damaged and rebuilt).
        notice: Option<UiError>,
    },
    /// A batch of tenant changes from one cluster.
    Changes(TenantChanges),
    /// A cluster's connection changed.
    Cluster(ClusterStatus),
}
