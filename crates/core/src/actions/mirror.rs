//! What a batch of actions learns from one watch instead of one per action: every Tenantry
//! Deployment as it rolls out (one reflector), for as long as the batch runs, so each action's
//! wait for its rollout needs no watch of its own. Used only where the identity may list and
//! watch Deployments cluster-wide; otherwise each action watches its own namespace. It only
//! tells when a rollout is done, never what an action may skip: objects are always planned
//! from the live cluster.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::StreamExt as _;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::Api;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt as _, watcher};
use tokio::sync::{OnceCell, watch};
use tokio::task::JoinHandle;

use super::session::WATCH_SECONDS;
use crate::access::{Permission, Reviews};
use crate::labels::managed_selector;

/// How long a reflector's first listing may take before the mirror gives up on its kind.
const LISTING_TIMEOUT: Duration = Duration::from_secs(30);

/// Reflectors over one cluster's Tenantry objects, stopped when dropped.
pub struct Mirror {
    client: kube::Client,
    reviews: Arc<Reviews>,
    deployments: OnceCell<Option<(Store<Deployment>, watch::Receiver<u64>)>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Mirror {
    /// An empty mirror over `client`, asking `reviews` whether a kind may be watched;
    /// reflectors start when first needed.
    pub fn new(client: kube::Client, reviews: Arc<Reviews>) -> Self {
        Self { client, reviews, deployments: OnceCell::new(), tasks: Mutex::default() }
    }

    /// Tenantry's Deployments with a channel that changes on every event, or `None` when the
    /// identity may not watch Deployments cluster-wide.
    pub async fn deployments(&self) -> Option<(Store<Deployment>, watch::Receiver<u64>)> {
        self.deployments
            .get_or_init(|| async {
                if !may_watch(&self.reviews, "apps", "deployments").await {
                    return None;
                }
                let (store, writer) = reflector::store();
                let (changed, seen) = watch::channel(0_u64);
                let stream = watcher(Api::<Deployment>::all(self.client.clone()), tenantry_objects())
                    .default_backoff()
                    .modify(|d| d.metadata.managed_fields = None)
                    .reflect(writer);
                self.keep(tokio::spawn(drain(stream, move || changed.send_modify(|count| *count += 1))));
                ready(&store).await.then_some((store, seen))
            })
            .await
            .clone()
    }

    fn keep(&self, task: JoinHandle<()>) {
        self.tasks.lock().unwrap_or_else(PoisonError::into_inner).push(task);
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        for task in self.tasks.get_mut().unwrap_or_else(PoisonError::into_inner).drain(..) {
            task.abort();
        }
    }
}

/// Objects labelled as Tenantry's, listed from the API server's watch cache.
fn tenantry_objects() -> watcher::Config {
    watcher::Config::default().labels(&managed_selector()).any_semantic().timeout(WATCH_SECONDS)
}

/// Whether the identity may list and watch `resource` of `group` in every namespace.
async fn may_watch(reviews: &Reviews, group: &str, resource: &str) -> bool {
    let wanted = [Permission::new("list", group, resource, None), Permission::new("watch", group, resource, None)];
    matches!(reviews.missing(&wanted).await, Ok(missing) if missing.is_empty())
}

/// Whether `store`'s first listing arrived within [`LISTING_TIMEOUT`].
async fn ready<K: kube::runtime::reflector::Lookup + Clone + 'static>(store: &Store<K>) -> bool
where
    K::DynamicType: Eq + std::hash::Hash + Clone,
{
    matches!(tokio::time::timeout(LISTING_TIMEOUT, store.wait_until_ready()).await, Ok(Ok(())))
}

/// Drives a reflector's stream for as long as the mirror lives, calling `after_each` after
/// every event.
async fn drain<T, E: std::fmt::Display>(
    stream: impl futures::Stream<Item = Result<T, E>>,
    mut after_each: impl FnMut(),
) {
    futures::pin_mut!(stream);
    while let Some(event) = stream.next().await {
        if let Err(error) = event {
            tracing::debug!(%error, "a mirror watch was interrupted; retrying");
        }
        after_each();
    }
}
