//! One kind's watch: a kube-runtime watcher with backoff feeding a reflector store, restarted
//! with a fresh listing after every error so that a recovered cluster is seen as current again.

use std::sync::Arc;

use futures::StreamExt as _;
use kube::Api;
use kube::runtime::reflector::{self, Store};
use kube::runtime::watcher::{self, Event};
use kube::runtime::{WatchStreamExt as _, watcher as watch_stream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::connection::Connection;

/// What a watch needs besides its API: where to report and whom to wake.
pub struct Reporting {
    /// The cluster's connection, told about listings and failures.
    pub connection: Arc<Connection>,
    /// Woken on every event and error.
    pub changed: Arc<Notify>,
}

/// Starts the watch of `kind` through `api` once `after` completes; returns its store and the
/// task driving it.
pub fn spawn<K>(
    kind: &'static str,
    api: Api<K>,
    config: watcher::Config,
    reporting: &Reporting,
    after: impl Future<Output = ()> + Send + 'static,
) -> (Store<K>, JoinHandle<()>)
where
    K: kube::Resource<DynamicType = ()> + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + Sync + 'static,
{
    // Listings are served from the API server's watch cache (resourceVersion 0) in one
    // response, instead of pages read from etcd; the watch that follows makes the store current.
    let config = config.any_semantic();
    let (store, writer) = reflector::store();
    let connection = Arc::clone(&reporting.connection);
    let changed = Arc::clone(&reporting.changed);
    // Each watcher ends right after its first error; the next one lists afresh (after the
    // backoff), so recovery always shows up as a completed listing.
    let restarted = futures::stream::repeat_with(move || until_first_error(watch_stream(api.clone(), config.clone())))
        .flatten()
        .default_backoff()
        .reflect(writer);
    let task = tokio::spawn(async move {
        after.await;
        futures::pin_mut!(restarted);
        while let Some(event) = restarted.next().await {
            match event {
                Ok(Event::InitDone) => {
                    tracing::debug!(context = %connection.context(), kind, "listed");
                    connection.listed(kind);
                }
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(context = %connection.context(), kind, error = %crate::error::chain(&err), "watch interrupted; retrying");
                    connection.failed(kind, watch_error_for_ui(&err));
                }
            }
            changed.notify_one();
        }
    });
    (store, task)
}

/// The items of `stream` up to and including its first error.
fn until_first_error<T, E>(
    stream: impl futures::Stream<Item = Result<T, E>>,
) -> impl futures::Stream<Item = Result<T, E>> {
    stream.scan(false, |failed, item| {
        let next = if *failed { None } else { Some(item) };
        if let Some(Err(_)) = &next {
            *failed = true;
        }
        futures::future::ready(next)
    })
}

/// A watch that failed (it retries on its own).
fn watch_error_for_ui(err: &kube::runtime::watcher::Error) -> tenantry_model::UiError {
    use kube::runtime::watcher::Error;
    match err {
        Error::InitialListFailed(request) | Error::WatchStartFailed(request) | Error::WatchFailed(request) => {
            crate::error::request_error_for_ui(request, err)
        }
        Error::WatchError(status) => crate::error::status_for_ui(status.code, err),
        Error::NoResourceVersion => {
            crate::error::ui(tenantry_model::ErrorKind::Api, "The cluster sent a list Tenantry cannot follow.", err)
        }
    }
}
