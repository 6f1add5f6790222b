//! The tenant inventory as the window knows it, kept by one pure reducer over the tenant stream.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use tenantry_model::{ClusterStatus, ConnectionState, FleetEvent, Health, TenantSummary, UiError};
use yew::Reducible;

/// Every tenant the backend has reported, and how each watched cluster is doing. Cloning it
/// (every update does) shares the tenants rather than copying them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FleetState {
    /// Tenants keyed by `(cluster, id)`: a persistent map, so an update copies only the part of
    /// it that changed, not thousands of rows; each row is the one the backend sent, shared by
    /// every table made from it.
    pub tenants: imbl::OrdMap<(String, String), Arc<TenantSummary>>,
    /// Watched (and cached) clusters by context.
    pub clusters: BTreeMap<String, ClusterStatus>,
    /// What the backend wants the user to know about the cache.
    pub notice: Option<UiError>,
    /// Whether the first snapshot has arrived.
    pub loaded: bool,
    /// How many of the last snapshot's tenants are still on their way (its first screen came
    /// ahead of them).
    pub arriving: usize,
    /// Those of them that came so far: they join `tenants` together once all are in, so the
    /// table filters and sorts the fleet once rather than per batch.
    arrived: Vec<Arc<TenantSummary>>,
    /// A failure of the stream itself.
    pub error: Option<UiError>,
}

/// Everything that changes [`FleetState`].
#[derive(Debug, Clone, PartialEq)]
pub enum FleetAction {
    /// A message from the backend's tenant stream.
    Event(FleetEvent),
    /// The stream failed.
    Failed(UiError),
}

impl Reducible for FleetState {
    type Action = FleetAction;

    fn reduce(self: Rc<Self>, action: FleetAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            FleetAction::Event(FleetEvent::Snapshot { clusters, tenants, notice, more }) => {
                next.loaded = true;
                next.arriving = more;
                next.arrived = Vec::new();
                next.notice = notice;
                next.clusters = clusters.into_iter().map(|c| (c.context.clone(), c)).collect();
                next.tenants = tenants.into_iter().map(|t| ((t.cluster.clone(), t.id.clone()), t)).collect();
            }
            FleetAction::Event(FleetEvent::Changes(changes)) => {
                for key in changes.removed {
                    next.tenants.remove(&key);
                }
                if next.arriving > 0 {
                    next.arriving = next.arriving.saturating_sub(changes.upserted.len());
                    next.arrived.extend(changes.upserted);
                    if next.arriving == 0 {
                        let arrived = std::mem::take(&mut next.arrived);
                        next.tenants.extend(arrived.into_iter().map(|t| ((t.cluster.clone(), t.id.clone()), t)));
                    }
                } else {
                    for tenant in changes.upserted {
                        next.tenants.insert((tenant.cluster.clone(), tenant.id.clone()), tenant);
                    }
                }
            }
            FleetAction::Event(FleetEvent::Cluster(status)) => {
                next.clusters.insert(status.context.clone(), status);
            }
            FleetAction::Failed(error) => next.error = Some(error),
        }
        Rc::new(next)
    }
}

impl FleetState {
    /// The oldest time a shown row was last seen live, if any row of a watched cluster is not
    /// live: what the "Offline — cached state as of …" banner names. Rows of a cluster the user
    /// does not watch are cached by choice; the cluster list says so, not the banner.
    pub fn offline_since(&self) -> Option<&str> {
        self.tenants.values().filter(|t| self.watched(&t.cluster)).filter_map(|t| t.freshness.seen_at()).min()
    }

    /// Contexts of the watched clusters that are not live, by name.
    pub fn not_live(&self) -> Vec<&str> {
        self.clusters
            .values()
            .filter(|c| !matches!(c.state, ConnectionState::Live | ConnectionState::NotWatched))
            .map(|c| c.context.as_str())
            .collect()
    }

    /// Whether `cluster` is watched (or not known as a cluster the user turned off).
    fn watched(&self, cluster: &str) -> bool {
        self.clusters.get(cluster).is_none_or(|c| c.state != ConnectionState::NotWatched)
    }

    /// Every app version in the fleet, sorted.
    pub fn versions(&self) -> Vec<String> {
        let distinct: std::collections::BTreeSet<&str> = self.tenants.values().map(|t| t.version.as_str()).collect();
        distinct.into_iter().map(str::to_owned).collect()
    }
}

/// How many tenants are in each health, in the order the UI lists them.
pub fn health_counts<'a>(tenants: impl Iterator<Item = &'a TenantSummary>) -> BTreeMap<Health, usize> {
    let mut counts = BTreeMap::new();
    for tenant in tenants {
        *counts.entry(tenant.health).or_insert(0) += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use tenantry_model::{ErrorKind, Freshness, TenantChanges};

    use super::*;

    fn tenant(cluster: &str, id: &str, health: Health) -> TenantSummary {
        TenantSummary {
            id: id.into(),
            cluster: cluster.into(),
            display_name: format!("{id} site"),
            customer: id.to_uppercase(),
            domains: vec![format!("{id}.example.com")],
            blueprint: "web".into(),
            version: "1.0".into(),
            plan: "small".into(),
            health,
            ready: 1,
            desired: 1,
            revision: 1,
            freshness: Freshness::Live,
            ..TenantSummary::default()
        }
    }

    fn apply(state: FleetState, actions: Vec<FleetAction>) -> FleetState {
        let mut state = Rc::new(state);
        for action in actions {
            state = state.reduce(action);
        }
        (*state).clone()
    }

    fn batch(cluster: &str, upserted: Vec<TenantSummary>, removed: Vec<(String, String)>) -> FleetAction {
        let upserted = upserted.into_iter().map(Arc::new).collect();
        FleetAction::Event(FleetEvent::Changes(TenantChanges { cluster: cluster.into(), upserted, removed }))
    }

    #[test]
    fn changes_upsert_and_remove_per_cluster() {
        let state = apply(
            FleetState::default(),
            vec![
                batch("eu", vec![tenant("eu", "a", Health::Healthy)], vec![]),
                batch("us", vec![tenant("us", "a", Health::Down)], vec![]),
                batch("eu", vec![tenant("eu", "a", Health::Degraded)], vec![]),
                batch("us", vec![], vec![("us".into(), "a".into())]),
            ],
        );
        assert_eq!(state.tenants.len(), 1, "the same id on two clusters is two tenants; one was removed");
        assert_eq!(state.tenants[&("eu".to_owned(), "a".to_owned())].health, Health::Degraded);
        assert_eq!(health_counts(state.tenants.values().map(|t| &**t)).get(&Health::Degraded), Some(&1));
    }

    #[test]
    fn the_rest_of_a_snapshot_joins_the_table_once_all_of_it_is_in() {
        let first = FleetEvent::Snapshot {
            clusters: vec![],
            tenants: vec![Arc::new(tenant("eu", "a", Health::Healthy))],
            notice: None,
            more: 3,
        };
        let coming = apply(
            FleetState::default(),
            vec![
                FleetAction::Event(first),
                batch("eu", vec![tenant("eu", "b", Health::Healthy), tenant("eu", "c", Health::Down)], vec![]),
            ],
        );
        assert!(coming.loaded);
        assert_eq!((coming.tenants.len(), coming.arriving), (1, 1), "the first screen shows; the rest waits");
        let all_in = apply(coming, vec![batch("us", vec![tenant("us", "a", Health::Healthy)], vec![])]);
        assert_eq!((all_in.tenants.len(), all_in.arriving), (4, 0));
        let live = apply(all_in, vec![batch("us", vec![tenant("us", "b", Health::Healthy)], vec![])]);
        assert_eq!(live.tenants.len(), 5, "later batches apply at once");
    }

    fn status(context: &str, state: ConnectionState) -> ClusterStatus {
        ClusterStatus { context: context.into(), state, last_error: None, last_live: None, notes: Vec::new() }
    }

    #[test]
    fn a_snapshot_replaces_everything_and_cluster_events_update_one() {
        let mut cached = tenant("eu", "a", Health::Healthy);
        cached.freshness = Freshness::Cached { as_of: "2026-11-20T08:00:00Z".into() };
        let error = UiError { kind: ErrorKind::Unreachable, message: "down".into(), detail: String::new() };
        let snapshot = FleetEvent::Snapshot {
            clusters: vec![status("eu", ConnectionState::Connecting), status("us", ConnectionState::Connecting)],
            tenants: vec![Arc::new(cached)],
            notice: Some(error.clone()),
            more: 0,
        };
        let unreachable = ClusterStatus { last_error: Some(error), ..status("us", ConnectionState::Unreachable) };
        let state = apply(
            FleetState {
                tenants: std::iter::once((("old".into(), "x".into()), tenant("old", "x", Health::Down))).collect(),
                ..Default::default()
            },
            vec![FleetAction::Event(snapshot), FleetAction::Event(FleetEvent::Cluster(unreachable.clone()))],
        );
        assert!(state.loaded);
        assert_eq!(state.tenants.len(), 1, "the snapshot replaces what was there");
        assert_eq!(state.clusters["us"], unreachable);
        assert_eq!(state.not_live(), vec!["eu", "us"]);
        assert_eq!(state.offline_since(), Some("2026-11-20T08:00:00Z"));
        assert!(state.notice.is_some());
        let live = apply(
            state,
            vec![FleetAction::Event(FleetEvent::Changes(TenantChanges {
                cluster: "eu".into(),
                upserted: vec![Arc::new(tenant("eu", "a", Health::Healthy))],
                removed: vec![],
            }))],
        );
        assert_eq!(live.offline_since(), None, "no row is cached any more");
    }

    #[test]
    fn a_cluster_not_watched_keeps_its_cached_rows_without_calling_the_fleet_offline() {
        let mut cached = tenant("old", "a", Health::Healthy);
        cached.freshness = Freshness::Cached { as_of: "2026-11-20T08:00:00Z".into() };
        let snapshot = FleetEvent::Snapshot {
            clusters: vec![status("eu", ConnectionState::Live), status("old", ConnectionState::NotWatched)],
            tenants: vec![Arc::new(tenant("eu", "b", Health::Healthy)), Arc::new(cached)],
            notice: None,
            more: 0,
        };
        let state = apply(FleetState::default(), vec![FleetAction::Event(snapshot)]);
        assert_eq!(state.tenants.len(), 2, "its rows stay, as last cached");
        assert!(state.not_live().is_empty());
        assert_eq!(state.offline_since(), None);
        let down =
            apply(state, vec![FleetAction::Event(FleetEvent::Cluster(status("eu", ConnectionState::Unreachable)))]);
        assert_eq!(down.not_live(), vec!["eu"], "a watched cluster is still named");
    }

    #[test]
    fn search_matches_id_name_customer_and_domain_in_any_case() {
        let t = tenant("eu", "alder", Health::Healthy);
        for needle in ["", "ald", "alder site", "alder.example", "alder"] {
            assert!(t.matches(needle), "{needle}");
        }
        assert!(!t.matches("birch"));
    }
}
