//! The cluster list as the window knows it, kept by one pure reducer over the cluster stream.

use std::rc::Rc;

use tenantry_model::{ClusterEvent, ClusterRow, Credential, KubeconfigSummary, Probe, ProbeResult, UiError};
use yew::Reducible;

/// Everything the cluster screen shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClustersState {
    /// Rows in kubeconfig order (by context name).
    pub rows: Vec<ClusterRow>,
    /// Where the rows came from; `None` until the backend answered.
    pub kubeconfig: Option<KubeconfigSummary>,
    /// Whether probes are still running.
    pub probing: bool,
    /// A failure of the stream itself (not of a cluster).
    pub error: Option<UiError>,
}

/// Everything that changes [`ClustersState`].
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A refresh was started.
    Refresh,
    /// A message from the backend's cluster stream.
    Event(ClusterEvent),
    /// The stream failed.
    Failed(UiError),
    /// The user changed which clusters are watched: the rows as the backend now has them.
    Chosen(Vec<ClusterRow>),
    /// These contexts are being checked on request.
    Checking(Vec<String>),
    /// Results of a check on request.
    Checked(Vec<ProbeResult>),
    /// A context's credential changed (after a sign-in).
    Credential(String, Credential),
}

impl Reducible for ClustersState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Refresh => {
                next.probing = true;
                next.error = None;
                for row in &mut next.rows {
                    if !matches!(row.probe, Probe::Failed { .. }) {
                        row.probe = Probe::Probing;
                    }
                }
            }
            Action::Event(ClusterEvent::Listed { kubeconfig, clusters }) => {
                next.probing = clusters.iter().any(|row| row.probe == Probe::Probing);
                next.kubeconfig = Some(kubeconfig);
                next.rows = clusters;
            }
            Action::Event(ClusterEvent::Probed { results }) | Action::Checked(results) => {
                for result in results {
                    if let Some(row) = next.rows.iter_mut().find(|row| row.context == result.context) {
                        row.probe = result.probe;
                        row.credential = result.credential;
                    }
                }
            }
            Action::Chosen(rows) => {
                next.rows = rows
                    .into_iter()
                    .map(|mut row| {
                        let known = self.rows.iter().find(|old| old.context == row.context);
                        if let Some(old) =
                            known.filter(|old| matches!(old.probe, Probe::Reachable { .. } | Probe::Failed { .. }))
                        {
                            row.probe = old.probe.clone();
                        }
                        row
                    })
                    .collect();
            }
            Action::Checking(contexts) => {
                for row in next.rows.iter_mut().filter(|row| contexts.contains(&row.context)) {
                    row.probe = Probe::Probing;
                }
            }
            Action::Credential(context, credential) => {
                if let Some(row) = next.rows.iter_mut().find(|row| row.context == context) {
                    row.credential = credential;
                }
            }
            Action::Event(ClusterEvent::Done) => next.probing = false,
            Action::Failed(error) => {
                next.probing = false;
                next.error = Some(error);
            }
        }
        Rc::new(next)
    }
}

/// How many rows are in each state: (reachable, failed, probing); unchecked rows count in none.
pub fn counts(rows: &[ClusterRow]) -> (usize, usize, usize) {
    rows.iter().fold((0, 0, 0), |(ok, failed, probing), row| match row.probe {
        Probe::Reachable { .. } => (ok + 1, failed, probing),
        Probe::Failed { .. } => (ok, failed + 1, probing),
        Probe::Probing => (ok, failed, probing + 1),
        Probe::Unchecked => (ok, failed, probing),
    })
}

/// Whether `row` matches the search `text` (context, cluster, server or user; any case).
pub fn matches(row: &ClusterRow, text: &str) -> bool {
    let text = text.trim().to_lowercase();
    text.is_empty()
        || [row.context.as_str(), row.cluster.as_str(), row.user.as_str(), row.server.as_deref().unwrap_or_default()]
            .iter()
            .any(|field| field.to_lowercase().contains(&text))
}

#[cfg(test)]
mod tests {
    use tenantry_model::ErrorKind;

    use super::*;

    fn row(context: &str, probe: Probe) -> ClusterRow {
        ClusterRow {
            context: context.into(),
            cluster: context.into(),
            server: Some("https://127.0.0.1:6443".into()),
            user: "admin".into(),
            namespace: None,
            current: false,
            added: false,
            chosen: true,
            watched_through: None,
            credential: Credential::default(),
            groups: Vec::new(),
            probe,
        }
    }

    fn reachable() -> Probe {
        Probe::Reachable { version: "v1.33.13".into(), identity: None, latency_ms: 3 }
    }

    fn failed() -> Probe {
        Probe::Failed { error: UiError { kind: ErrorKind::Unreachable, message: "down".into(), detail: String::new() } }
    }

    fn apply(state: ClustersState, actions: Vec<Action>) -> ClustersState {
        let mut state = Rc::new(state);
        for action in actions {
            state = state.reduce(action);
        }
        (*state).clone()
    }

    #[test]
    fn probe_results_fill_in_listed_rows_and_done_stops_probing() {
        let listed = ClusterEvent::Listed {
            kubeconfig: KubeconfigSummary::default(),
            clusters: vec![row("a", Probe::Probing), row("b", Probe::Probing), row("broken", failed())],
        };
        let state = apply(ClustersState::default(), vec![Action::Event(listed)]);
        assert!(state.probing);
        assert_eq!(counts(&state.rows), (0, 1, 2));

        let result = |context: &str, probe: Probe| ProbeResult {
            context: context.into(),
            probe,
            credential: Credential::default(),
        };
        let probed = ClusterEvent::Probed {
            results: vec![result("b", failed()), result("a", reachable()), result("gone", reachable())],
        };
        let state = apply(state, vec![Action::Event(probed), Action::Event(ClusterEvent::Done)]);
        assert!(!state.probing);
        assert_eq!(counts(&state.rows), (1, 2, 0));
        assert_eq!(state.rows.len(), 3, "a result for an unknown context adds no row");
    }

    #[test]
    fn refresh_reprobes_reachable_rows_but_keeps_broken_contexts() {
        let state = ClustersState { rows: vec![row("a", reachable()), row("broken", failed())], ..Default::default() };
        let state = apply(state, vec![Action::Refresh]);
        assert!(state.probing);
        assert_eq!(state.rows[0].probe, Probe::Probing);
        assert!(matches!(state.rows[1].probe, Probe::Failed { .. }));
    }

    #[test]
    fn a_new_choice_keeps_what_was_probed_and_a_check_marks_rows_checking() {
        let state =
            ClustersState { rows: vec![row("a", reachable()), row("b", Probe::Unchecked)], ..Default::default() };
        let chosen = vec![ClusterRow { chosen: false, ..row("a", Probe::Unchecked) }, row("b", Probe::Probing)];
        let state = apply(state, vec![Action::Chosen(chosen)]);
        assert_eq!(state.rows[0].probe, reachable(), "unwatching keeps the last probe");
        assert!(!state.rows[0].chosen);
        let state = apply(state, vec![Action::Checking(vec!["a".into()])]);
        assert_eq!(state.rows[0].probe, Probe::Probing);
    }

    #[test]
    fn the_search_reads_context_cluster_server_and_user() {
        let row = row("prod-eu-1", Probe::Unchecked);
        assert!(matches(&row, "EU"));
        assert!(matches(&row, "127.0.0"));
        assert!(matches(&row, "admin"));
        assert!(!matches(&row, "staging"));
    }

    #[test]
    fn a_stream_failure_is_kept_and_stops_probing() {
        let error = UiError { kind: ErrorKind::Internal, message: "lost".into(), detail: String::new() };
        let state = apply(ClustersState { probing: true, ..Default::default() }, vec![Action::Failed(error.clone())]);
        assert!(!state.probing);
        assert_eq!(state.error, Some(error));
    }
}
