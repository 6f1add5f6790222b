//! The tenant stream from the backend to its subscribers: a snapshot, then diffs and
//! connection changes.

use std::collections::BTreeMap;
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
    /// Not watched: turned off by the user, or no longer configured; nothing is tried, and its
    /// tenants are shown as last cached.
    NotWatched,
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
        /// How many more of its tenants follow in `Changes` batches right after it (see
        /// [`FleetEvent::first_screen_first`]); 0 when they are all here.
        #[serde(default)]
        more: usize,
    },
    /// A batch of tenant changes from one cluster.
    Changes(TenantChanges),
    /// A cluster's connection changed.
    Cluster(ClusterStatus),
}

impl FleetEvent {
    /// A snapshot of more than `first` tenants as its first `first` in the fleet order (the
    /// rows the window's table opens on), then the rest as one batch per cluster, so a window
    /// shows its first screen before it has decoded the whole fleet. Other events (and a
    /// snapshot split already) stay whole.
    pub fn first_screen_first(self, first: usize) -> Vec<FleetEvent> {
        let FleetEvent::Snapshot { clusters, mut tenants, notice, more: 0 } = self else { return vec![self] };
        if tenants.len() <= first {
            return vec![FleetEvent::Snapshot { clusters, tenants, notice, more: 0 }];
        }
        tenants.select_nth_unstable_by(first, |a, b| a.fleet_order(b));
        let rest = tenants.split_off(first);
        let more = rest.len();
        let mut by_cluster: BTreeMap<String, Vec<Arc<TenantSummary>>> = BTreeMap::new();
        for tenant in rest {
            by_cluster.entry(tenant.cluster.clone()).or_default().push(tenant);
        }
        std::iter::once(FleetEvent::Snapshot { clusters, tenants, notice, more })
            .chain(by_cluster.into_iter().map(|(cluster, upserted)| {
                FleetEvent::Changes(TenantChanges { cluster, upserted, removed: Vec::new() })
            }))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(rows: &[(&str, &str)]) -> FleetEvent {
        let tenants = rows
            .iter()
            .map(|(cluster, id)| {
                Arc::new(TenantSummary { cluster: (*cluster).into(), id: (*id).into(), ..TenantSummary::default() })
            })
            .collect();
        FleetEvent::Snapshot { clusters: Vec::new(), tenants, notice: None, more: 0 }
    }

    fn keys(tenants: &[Arc<TenantSummary>]) -> Vec<(String, String)> {
        tenants.iter().map(|t| (t.cluster.clone(), t.id.clone())).collect()
    }

    #[test]
    fn the_first_screen_is_the_first_rows_in_the_fleet_order_and_the_rest_follows_per_cluster() {
        let rows =
            [("b", "shop-3"), ("a", "shop-9"), ("b", "shop-1"), ("a", "shop-1"), ("c", "shop-2"), ("a", "shop-5")];
        let events = snapshot(&rows).first_screen_first(3);
        let [FleetEvent::Snapshot { tenants, more, .. }, rest @ ..] = events.as_slice() else {
            panic!("a snapshot comes first: {events:?}");
        };
        let mut first = keys(tenants);
        first.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
        let expected = [("a", "shop-1"), ("b", "shop-1"), ("c", "shop-2")].map(|(c, i)| (c.to_owned(), i.to_owned()));
        assert_eq!(first, expected);
        assert_eq!(*more, 3);
        let batches: Vec<(String, Vec<(String, String)>)> = rest
            .iter()
            .map(|event| match event {
                FleetEvent::Changes(changes) => {
                    assert!(changes.removed.is_empty());
                    (changes.cluster.clone(), keys(&changes.upserted))
                }
                other => panic!("only batches follow: {other:?}"),
            })
            .collect();
        let followed: usize = batches.iter().map(|(_, rows)| rows.len()).sum();
        assert_eq!(followed, *more);
        for (cluster, rows) in &batches {
            assert!(rows.iter().all(|(c, _)| c == cluster), "one batch per cluster: {batches:?}");
        }
    }

    #[test]
    fn small_or_split_snapshots_and_other_events_stay_whole() {
        let small = snapshot(&[("a", "x"), ("b", "y")]);
        assert_eq!(small.clone().first_screen_first(2), vec![small]);
        let batch = FleetEvent::Changes(TenantChanges::default());
        assert_eq!(batch.clone().first_screen_first(0), vec![batch]);
        let FleetEvent::Snapshot { clusters, tenants, notice, .. } = snapshot(&[("a", "x"), ("b", "y")]) else {
            unreachable!("a snapshot")
        };
        let split_already = FleetEvent::Snapshot { clusters, tenants, notice, more: 5 };
        assert_eq!(split_already.clone().first_screen_first(1), vec![split_already]);
    }
}
