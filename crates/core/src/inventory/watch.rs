//! One kind's watch: a complete listing (decoded as it arrives, from the API server's watch
//! cache) into its [`Store`], then the changes from the listing's resourceVersion on; after
//! every error it backs off and lists afresh, so that a recovered cluster is seen as current
//! again.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use kube::api::{ListParams, WatchEvent, WatchParams};
use kube::core::Request;
use kube::runtime::watcher::DefaultBackoff;
use serde::de::DeserializeOwned;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::connection::Connection;
use super::first_listings::Turn;
use super::list::{self, ListError};
use super::list_body::BodyError;
use super::store::{self, Keyed, Store, Writer};
use super::touched::Touched;

/// How long the API server keeps one watch request open (it then ends it and the watch goes on
/// with a new request); kube's and client-go's default.
const WATCH_SECONDS: u32 = 290;
/// How long a watch may stay silent beyond [`WATCH_SECONDS`] before its connection counts as dead.
const SILENCE_MARGIN: Duration = Duration::from_secs(5);

/// What a watch needs besides its API: where to report and whom to wake.
pub struct Reporting {
    /// The cluster's connection, told about listings and failures.
    pub connection: Arc<Connection>,
    /// Woken on every event and error.
    pub changed: Arc<Notify>,
    /// Told which namespaces' rows each event may have changed (before `changed` is woken).
    pub touched: Arc<Touched>,
}

/// Which objects of a kind are watched: selectors in the API's syntax, or everything.
#[derive(Clone, Debug, Default)]
pub struct Selector {
    /// A label selector.
    pub labels: Option<String>,
    /// A field selector.
    pub fields: Option<String>,
}

impl Selector {
    /// The objects carrying labels matching `selector`.
    pub fn labels(selector: &str) -> Self {
        Self { labels: Some(selector.to_owned()), fields: None }
    }

    /// The objects whose fields match `selector`.
    pub fn fields(selector: &str) -> Self {
        Self { labels: None, fields: Some(selector.to_owned()) }
    }
}

/// Why a watch stopped; it lists afresh after a backoff.
#[derive(Debug, thiserror::Error)]
enum WatchError {
    /// The listing failed.
    #[error("cannot list")]
    List(#[source] ListError),
    /// The watch request failed or its stream broke.
    #[error("the watch failed")]
    Watch(#[source] kube::Error),
    /// The API server sent an error event.
    #[error("the watch ended with an error: {}", .0.message)]
    Event(Box<kube::core::Status>),
}

/// Starts the watch of `kind` through `client` once `after` gives it its turn (held until its
/// first listing ends); returns its store and the task driving it.
pub fn spawn<K>(
    kind: &'static str,
    client: kube::Client,
    selector: Selector,
    reporting: &Reporting,
    after: impl Future<Output = Turn> + Send + 'static,
) -> (Store<K>, JoinHandle<()>)
where
    K: k8s_openapi::Resource + Keyed + Clone + DeserializeOwned + Send + Sync + 'static,
{
    let (store, writer) = store::store();
    let watch = Watch {
        kind,
        client,
        url_path: url_path::<K>(),
        selector,
        connection: Arc::clone(&reporting.connection),
        changed: Arc::clone(&reporting.changed),
        touched: Arc::clone(&reporting.touched),
        writer,
    };
    let task = tokio::spawn(async move {
        let turn = after.await;
        watch.run(turn).await;
    });
    (store, task)
}

/// One kind's watch as it runs.
struct Watch<K> {
    kind: &'static str,
    client: kube::Client,
    url_path: String,
    selector: Selector,
    connection: Arc<Connection>,
    changed: Arc<Notify>,
    touched: Arc<Touched>,
    writer: Writer<K>,
}

impl<K> Watch<K>
where
    K: k8s_openapi::Resource + Keyed + Clone + DeserializeOwned + Send + Sync + 'static,
{
    /// Lists and follows for as long as the task lives, backing off after each error; `turn` is
    /// given back once the first listing has ended, listed or not (or has taken too long).
    async fn run(self, turn: Turn) {
        let mut backoff = DefaultBackoff::default();
        let mut turn = Some(turn);
        loop {
            let Err(err) = self.list_and_follow(&mut turn).await;
            tracing::warn!(context = %self.connection.context(), kind = self.kind, error = %crate::error::chain(&err), "watch interrupted; retrying");
            self.connection.failed(self.kind, error_for_ui(&err));
            self.changed.notify_one();
            tokio::time::sleep(backoff.next().unwrap_or(Duration::from_secs(30))).await;
        }
    }

    /// Lists the kind into the store, then applies its changes; returns only with the error that
    /// stopped it (a resourceVersion too old to go on from lists again at once).
    async fn list_and_follow(&self, turn: &mut Option<Turn>) -> Result<std::convert::Infallible, WatchError> {
        loop {
            let params = ListParams {
                label_selector: self.selector.labels.clone(),
                field_selector: self.selector.fields.clone(),
                ..ListParams::default()
            }
            .match_any();
            let listing = list::list::<K>(&self.client, &self.url_path, &params);
            let listing = match turn.take() {
                Some(turn) => turn.hold_while(listing).await,
                None => listing.await,
            }
            .map_err(WatchError::List)?;
            self.writer.replace(listing.items);
            self.touched.everything();
            tracing::debug!(context = %self.connection.context(), kind = self.kind, "listed");
            self.connection.listed(self.kind);
            self.changed.notify_one();
            self.follow(listing.resource_version).await?;
        }
    }

    /// Applies the changes after `resource_version` until the API server says it is too old
    /// (`Ok`, to list again) or the watch fails.
    async fn follow(&self, mut resource_version: String) -> Result<(), WatchError> {
        let params = WatchParams {
            label_selector: self.selector.labels.clone(),
            field_selector: self.selector.fields.clone(),
            timeout: Some(WATCH_SECONDS),
            bookmarks: true,
            ..WatchParams::default()
        };
        let silence = Duration::from_secs(u64::from(WATCH_SECONDS)) + SILENCE_MARGIN;
        loop {
            let request = Request::new(&self.url_path)
                .watch(&params, &resource_version)
                .map_err(|err| WatchError::Watch(kube::Error::BuildRequest(err)))?;
            let events = self.client.request_events::<K>(request).await.map_err(WatchError::Watch)?;
            let mut events = std::pin::pin!(events);
            // A request ends after WATCH_SECONDS, or earlier when its connection drops; either way
            // the next one goes on from the last resourceVersion seen.
            while let Ok(Some(event)) = tokio::time::timeout(silence, events.next()).await {
                match event.map_err(WatchError::Watch)? {
                    // The store first, then the touched row: a pass that takes the mark reads the
                    // object as it is now.
                    WatchEvent::Added(object) | WatchEvent::Modified(object) => {
                        resource_version = version_of(&object).unwrap_or(resource_version);
                        let row = row_of(&object).map(str::to_owned);
                        self.writer.apply(object);
                        self.touched.namespace(row.as_deref());
                    }
                    WatchEvent::Deleted(object) => {
                        resource_version = version_of(&object).unwrap_or(resource_version);
                        self.writer.delete(&object);
                        self.touched.namespace(row_of(&object));
                    }
                    WatchEvent::Bookmark(bookmark) => {
                        resource_version = bookmark.metadata.resource_version;
                        continue;
                    }
                    WatchEvent::Error(status) if list::is_expired(&status) => {
                        tracing::debug!(context = %self.connection.context(), kind = self.kind, "resourceVersion expired; listing again");
                        return Ok(());
                    }
                    WatchEvent::Error(status) => return Err(WatchError::Event(status)),
                }
                self.changed.notify_one();
            }
        }
    }
}

/// The path listing every object of kind `K` in every namespace.
fn url_path<K: k8s_openapi::Resource>() -> String {
    match K::GROUP {
        "" => format!("/api/{}/{}", K::VERSION, K::URL_PATH_SEGMENT),
        group => format!("/apis/{group}/{}/{}", K::VERSION, K::URL_PATH_SEGMENT),
    }
}

/// The namespace whose tenant's row `object` is read into: a Namespace's own, a namespaced
/// object's; `None` (any row) for another cluster-wide object, such as a Capsule tenant.
fn row_of<K: k8s_openapi::Resource + Keyed>(object: &K) -> Option<&str> {
    match object.location() {
        (Some(namespace), _) => Some(namespace),
        (None, name) if K::KIND == "Namespace" => Some(name),
        (None, _) => None,
    }
}

/// The resourceVersion `object` was seen at.
fn version_of<K: Keyed>(object: &K) -> Option<String> {
    object.seen_version().filter(|v| !v.is_empty()).map(str::to_owned)
}

/// A watch that failed (it retries on its own), as the user sees it.
fn error_for_ui(err: &WatchError) -> tenantry_model::UiError {
    match err {
        WatchError::List(ListError::Request(request)) | WatchError::Watch(request) => {
            crate::error::request_error_for_ui(request, err)
        }
        WatchError::Event(status) => crate::error::status_for_ui(status.code, err),
        WatchError::List(ListError::Body(BodyError::Truncated)) => crate::error::ui(
            tenantry_model::ErrorKind::Unreachable,
            "The connection to the cluster broke off in the middle of a list.",
            err,
        ),
        WatchError::List(ListError::NoResourceVersion | ListError::Body(_)) => {
            crate::error::ui(tenantry_model::ErrorKind::Api, "The cluster sent a list Tenantry cannot follow.", err)
        }
    }
}
