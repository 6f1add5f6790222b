//! How the watches of one cluster are doing, kind by kind, and the cluster's connection state
//! derived from them and from its heartbeat (live, reconnecting, unreachable, unauthorized)
//! with the last error. A cluster that stops answering the heartbeat is not live, however
//! quiet its watches are.

use std::collections::BTreeMap;
use std::sync::Mutex;

use tenantry_model::{ClusterStatus, ConnectionState, ErrorKind, UiError};

use crate::labels::now;

/// Where one watch stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum WatchState {
    /// No complete listing yet.
    Listing,
    /// Listed completely and watching.
    Current,
    /// The last attempt failed; the watch retries with backoff.
    Failing(UiError),
}

/// One watched kind: whether the tenant list cannot work without it, and where it stands.
#[derive(Debug)]
struct Watched {
    essential: bool,
    what: &'static str,
    state: WatchState,
}

/// The connection of one cluster, updated by its watch tasks.
#[derive(Debug)]
pub struct Connection {
    context: String,
    inner: Mutex<Inner>,
    /// Becomes true once every essential watch has listed completely for the first time.
    first_listing: tokio::sync::watch::Sender<bool>,
    /// Becomes true once the cluster has listed, or an essential watch has failed, for the
    /// first time.
    first_answer: tokio::sync::watch::Sender<bool>,
}

#[derive(Debug, Default)]
struct Inner {
    watches: BTreeMap<&'static str, Watched>,
    was_live: bool,
    last_live: Option<String>,
    last_error: Option<UiError>,
    /// Set while the cluster does not answer its heartbeat.
    silent: Option<UiError>,
}

impl Connection {
    /// A cluster whose watches have not reported yet.
    pub fn new(context: &str) -> Self {
        Self {
            context: context.to_owned(),
            inner: Mutex::new(Inner::default()),
            first_listing: tokio::sync::watch::Sender::new(false),
            first_answer: tokio::sync::watch::Sender::new(false),
        }
    }

    /// Completes once the cluster has listed or an essential watch has failed (an unreachable or
    /// refusing cluster answers at once; a silent one never does).
    pub fn first_answer(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut answered = self.first_answer.subscribe();
        async move {
            let _ = answered.wait_for(|done| *done).await;
        }
    }

    /// Completes once every essential watch has listed completely for the first time.
    pub fn first_listing(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut listed = self.first_listing.subscribe();
        async move {
            let _ = listed.wait_for(|done| *done).await;
        }
    }

    /// The context of the cluster.
    pub fn context(&self) -> &str {
        &self.context
    }

    /// Registers a watch of `kind` (`what` names it for people, e.g. "Warning events");
    /// essential kinds decide whether the cluster is live.
    pub fn register(&self, kind: &'static str, what: &'static str, essential: bool) {
        self.lock().watches.insert(kind, Watched { essential, what, state: WatchState::Listing });
    }

    /// The watch of `kind` has listed completely.
    pub fn listed(&self, kind: &'static str) {
        let mut inner = self.lock();
        if let Some(watched) = inner.watches.get_mut(kind) {
            watched.state = WatchState::Current;
        }
        if inner.essentials_current() {
            inner.was_live = true;
            inner.last_live = Some(now());
            self.first_listing.send_replace(true);
            self.first_answer.send_replace(true);
        }
    }

    /// The watch of `kind` failed with `error`.
    pub fn failed(&self, kind: &'static str, error: UiError) {
        let mut inner = self.lock();
        let essential = inner.watches.get(kind).is_some_and(|w| w.essential);
        if inner.essentials_current() && essential {
            inner.last_live = Some(now());
        }
        if essential {
            inner.last_error = Some(error.clone());
            self.first_answer.send_replace(true);
        }
        if let Some(watched) = inner.watches.get_mut(kind) {
            watched.state = WatchState::Failing(error);
        }
    }

    /// The cluster stopped answering its heartbeat (`error` says so); it is not live until it
    /// answers again. Returns whether this changed anything.
    pub fn silenced(&self, error: UiError) -> bool {
        let mut inner = self.lock();
        if inner.silent.is_some() {
            return false;
        }
        if inner.essentials_current() {
            inner.last_live = Some(now());
        }
        inner.last_error = Some(error.clone());
        inner.silent = Some(error);
        true
    }

    /// The cluster answers its heartbeat (again). Returns whether this changed anything.
    pub fn answered(&self) -> bool {
        let mut inner = self.lock();
        if inner.silent.take().is_none() {
            return false;
        }
        if inner.essentials_current() {
            inner.last_live = Some(now());
        }
        true
    }

    /// Whether every essential watch is current.
    pub fn is_live(&self) -> bool {
        self.lock().essentials_current()
    }

    /// The cluster's status now.
    pub fn status(&self) -> ClusterStatus {
        let inner = self.lock();
        let essential_errors: Vec<&UiError> = inner
            .watches
            .values()
            .filter(|w| w.essential)
            .filter_map(|w| match &w.state {
                WatchState::Failing(error) => Some(error),
                _ => None,
            })
            .collect();
        let state = if inner.essentials_current() {
            ConnectionState::Live
        } else if inner.silent.is_some() {
            if inner.was_live { ConnectionState::Reconnecting } else { ConnectionState::Unreachable }
        } else if essential_errors.iter().any(|e| matches!(e.kind, ErrorKind::Unauthorized | ErrorKind::Forbidden)) {
            ConnectionState::Unauthorized
        } else if essential_errors.is_empty() {
            if inner.was_live { ConnectionState::Reconnecting } else { ConnectionState::Connecting }
        } else if inner.was_live {
            ConnectionState::Reconnecting
        } else {
            ConnectionState::Unreachable
        };
        let notes = inner
            .watches
            .values()
            .filter(|w| !w.essential)
            .filter_map(|w| match &w.state {
                WatchState::Failing(error) if error.kind == ErrorKind::Forbidden => {
                    Some(format!("{} are hidden: this identity may not list them.", w.what))
                }
                _ => None,
            })
            .collect();
        ClusterStatus {
            context: self.context.clone(),
            state,
            last_error: inner.last_error.clone(),
            last_live: inner.last_live.clone(),
            notes,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Inner {
    fn essentials_current(&self) -> bool {
        if self.silent.is_some() {
            return false;
        }
        let mut essentials = self.watches.values().filter(|w| w.essential).peekable();
        essentials.peek().is_some() && essentials.all(|w| w.state == WatchState::Current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(kind: ErrorKind) -> UiError {
        UiError { kind, message: "m".into(), detail: "d".into() }
    }

    #[tokio::test]
    async fn a_failing_essential_watch_is_an_answer_but_not_a_listing() {
        let connection = connection();
        let (answered, listed) = (tokio::spawn(connection.first_answer()), tokio::spawn(connection.first_listing()));
        connection.failed("Event", error(ErrorKind::Forbidden));
        tokio::task::yield_now().await;
        assert!(!answered.is_finished(), "an optional kind's failure says nothing of the cluster");
        connection.failed("Pod", error(ErrorKind::Unreachable));
        tokio::time::timeout(std::time::Duration::from_secs(1), answered).await.expect("answered").expect("joins");
        assert!(!listed.is_finished());
        listed.abort();
    }

    fn connection() -> Connection {
        let connection = Connection::new("c");
        connection.register("Namespace", "Tenants", true);
        connection.register("Pod", "Pods", true);
        connection.register("Event", "Warning events", false);
        connection
    }

    #[test]
    fn a_cluster_is_live_once_every_essential_watch_has_listed() {
        let c = connection();
        assert_eq!(c.status().state, ConnectionState::Connecting);
        c.listed("Namespace");
        assert_eq!(c.status().state, ConnectionState::Connecting);
        c.listed("Pod");
        let status = c.status();
        assert_eq!(status.state, ConnectionState::Live);
        assert!(status.last_live.is_some());
        assert!(status.notes.is_empty());
    }

    #[tokio::test]
    async fn the_first_listing_completes_once_every_essential_watch_has_listed() {
        let c = connection();
        let (before, waiting) = (c.first_listing(), c.first_listing());
        let mut waiting = std::pin::pin!(waiting);
        c.listed("Namespace");
        c.listed("Event");
        assert!(futures::poll!(waiting.as_mut()).is_pending(), "pods have not listed yet");
        c.listed("Pod");
        tokio::time::timeout(std::time::Duration::from_secs(1), futures::future::join(before, waiting))
            .await
            .expect("every waiter is released");
        tokio::time::timeout(std::time::Duration::from_secs(1), c.first_listing())
            .await
            .expect("a waiter arriving later is released at once");
    }

    #[test]
    fn failures_before_and_after_the_first_listing_are_told_apart() {
        let never = connection();
        never.failed("Namespace", error(ErrorKind::Unreachable));
        assert_eq!(never.status().state, ConnectionState::Unreachable);
        assert_eq!(never.status().last_live, None);

        let lost = connection();
        lost.listed("Namespace");
        lost.listed("Pod");
        lost.failed("Pod", error(ErrorKind::Unreachable));
        let status = lost.status();
        assert_eq!(status.state, ConnectionState::Reconnecting);
        assert_eq!(status.last_error.map(|e| e.kind), Some(ErrorKind::Unreachable));
        assert!(status.last_live.is_some());
        lost.listed("Pod");
        assert_eq!(lost.status().state, ConnectionState::Live);
        assert!(lost.status().last_error.is_some(), "the last error stays visible after recovery");
    }

    #[test]
    fn rejected_credentials_make_the_cluster_unauthorized() {
        for kind in [ErrorKind::Unauthorized, ErrorKind::Forbidden] {
            let c = connection();
            c.failed("Namespace", error(kind));
            assert_eq!(c.status().state, ConnectionState::Unauthorized, "{kind:?}");
        }
    }

    #[test]
    fn a_forbidden_optional_kind_leaves_the_cluster_live_with_a_note() {
        let c = connection();
        c.listed("Namespace");
        c.listed("Pod");
        c.failed("Event", error(ErrorKind::Forbidden));
        let status = c.status();
        assert_eq!(status.state, ConnectionState::Live);
        assert_eq!(status.notes, vec!["Warning events are hidden: this identity may not list them.".to_owned()]);
        assert_eq!(status.last_error, None);
    }
}
