//! The tenant inventory as the window knows it, kept by one pure reducer over the tenant stream.

use std::collections::BTreeMap;
use std::rc::Rc;

use tenantry_model::{FleetEvent, Health, TenantSummary, UiError};
use yew::Reducible;

/// Where the window stands with one watched cluster.
#[derive(Debug, Clone, PartialEq)]
pub enum Link {
    /// Announced, no listing yet.
    Connecting,
    /// Its tenants arrived and changes follow.
    Live,
    /// Its tenants cannot be watched, and why.
    Failed(UiError),
}

/// Every tenant the backend has reported, and how each watched cluster is doing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FleetState {
    /// Tenants keyed by `(cluster, id)`.
    pub tenants: BTreeMap<(String, String), TenantSummary>,
    /// Watched clusters by context.
    pub clusters: BTreeMap<String, Link>,
    /// Whether any message has arrived yet.
    pub loaded: bool,
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
        next.loaded = true;
        match action {
            FleetAction::Event(FleetEvent::Watching { contexts }) => {
                for context in contexts {
                    next.clusters.entry(context).or_insert(Link::Connecting);
                }
            }
            FleetAction::Event(FleetEvent::Changes(changes)) => {
                next.clusters.insert(changes.cluster, Link::Live);
                for key in changes.removed {
                    next.tenants.remove(&key);
                }
                for tenant in changes.upserted {
                    next.tenants.insert((tenant.cluster.clone(), tenant.id.clone()), tenant);
                }
            }
            FleetAction::Event(FleetEvent::ClusterFailed { context, error }) => {
                next.clusters.insert(context, Link::Failed(error));
            }
            FleetAction::Failed(error) => next.error = Some(error),
        }
        Rc::new(next)
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

/// Whether `tenant` matches the lower-cased search text (id, name, customer or a domain).
pub fn matches(tenant: &TenantSummary, needle: &str) -> bool {
    needle.is_empty()
        || [&tenant.id, &tenant.display_name, &tenant.customer]
            .into_iter()
            .chain(&tenant.domains)
            .any(|field| field.to_lowercase().contains(needle))
}

#[cfg(test)]
mod tests {
    use tenantry_model::{ErrorKind, TenantChanges};

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
            reason: String::new(),
            ready: 1,
            desired: 1,
            restarts: 0,
            revision: 1,
            created: None,
        }
    }

    fn apply(state: FleetState, actions: Vec<FleetAction>) -> FleetState {
        let mut state = Rc::new(state);
        for action in actions {
            state = state.reduce(action);
        }
        (*state).clone()
    }

    #[test]
    fn changes_upsert_and_remove_per_cluster() {
        let batch = |cluster: &str, upserted: Vec<TenantSummary>, removed: Vec<(String, String)>| {
            FleetAction::Event(FleetEvent::Changes(TenantChanges { cluster: cluster.into(), upserted, removed }))
        };
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
        assert_eq!(health_counts(state.tenants.values()).get(&Health::Degraded), Some(&1));
    }

    #[test]
    fn clusters_go_from_connecting_to_live_or_failed() {
        let watching = FleetEvent::Watching { contexts: vec!["eu".into(), "us".into(), "ap".into()] };
        let error = UiError { kind: ErrorKind::Unreachable, message: "down".into(), detail: String::new() };
        let failed = FleetEvent::ClusterFailed { context: "ap".into(), error: error.clone() };
        let empty_but_live = FleetEvent::Changes(TenantChanges { cluster: "us".into(), ..Default::default() });
        let state = apply(
            FleetState::default(),
            vec![FleetAction::Event(watching), FleetAction::Event(failed), FleetAction::Event(empty_but_live)],
        );
        assert!(state.loaded);
        assert_eq!(state.clusters["eu"], Link::Connecting);
        assert_eq!(state.clusters["us"], Link::Live, "a cluster without tenants is live too");
        assert_eq!(state.clusters["ap"], Link::Failed(error));
    }

    #[test]
    fn search_matches_id_name_customer_and_domain_in_any_case() {
        let t = tenant("eu", "alder", Health::Healthy);
        for needle in ["", "ald", "alder site", "alder.example", "alder"] {
            assert!(matches(&t, needle), "{needle}");
        }
        assert!(!matches(&t, "birch"));
    }
}
