//! What a batch of actions learns from watches instead of one request per object: which of
//! Tenantry's objects exist (a metadata-only reflector per kind, started when a kind is first
//! asked about) and every Tenantry Deployment as it rolls out (one full reflector), for as long
//! as the batch runs. Used only where the identity may list and watch a kind cluster-wide; a
//! kind it may not watch is answered by the caller's own requests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::StreamExt as _;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, DynamicObject};
use kube::core::{ApiResource, PartialObjectMeta};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt as _, watcher};
use tokio::sync::{OnceCell, watch};
use tokio::task::JoinHandle;

use crate::access::{Permission, Reviews};
use crate::inventory::MANAGED_BY;

/// How long a reflector's first listing may take before the mirror gives up on its kind.
const LISTING_TIMEOUT: Duration = Duration::from_secs(30);

/// The metadata of one kind's Tenantry objects, or `None` when the identity may not watch it.
type KindStore = Option<Store<PartialObjectMeta<DynamicObject>>>;

/// Reflectors over one cluster's Tenantry objects, stopped when dropped.
pub struct Mirror {
    client: kube::Client,
    reviews: Arc<Reviews>,
    kinds: Mutex<HashMap<String, Arc<OnceCell<KindStore>>>>,
    deployments: OnceCell<Option<(Store<Deployment>, watch::Receiver<u64>)>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Mirror {
    /// An empty mirror over `client`, asking `reviews` whether a kind may be watched;
    /// reflectors start when first needed.
    pub fn new(client: kube::Client, reviews: Arc<Reviews>) -> Self {
        Self { client, reviews, kinds: Mutex::default(), deployments: OnceCell::new(), tasks: Mutex::default() }
    }

    /// Whether `name` of `resource` in `namespace` is known to exist; `None` when this mirror
    /// cannot tell (the kind may not be watched cluster-wide), so the caller must ask.
    pub async fn exists(&self, resource: &ApiResource, namespace: &str, name: &str) -> Option<bool> {
        let key = format!("{}/{}", resource.api_version, resource.plural);
        let cell = Arc::clone(self.kinds.lock().unwrap_or_else(PoisonError::into_inner).entry(key).or_default());
        let store = cell
            .get_or_init(|| async {
                if !may_watch(&self.reviews, &resource.group, &resource.plural).await {
                    return None;
                }
                let api: Api<PartialObjectMeta<DynamicObject>> = Api::all_with(self.client.clone(), resource);
                let writer = reflector::store::Writer::new(resource.clone());
                let store = writer.as_reader();
                let stream = watcher(api, tenantry_objects()).default_backoff().reflect(writer);
                self.keep(tokio::spawn(drain(stream, || {})));
                ready(&store).await.then_some(store)
            })
            .await
            .as_ref()?;
        let key = ObjectRef::new_with(name, resource.clone()).within(namespace);
        Some(store.get(&key).is_some())
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

    /// Tenantry's Deployment `name` in `namespace` as last seen (without managed fields), or
    /// `None` when it is not mirrored.
    pub async fn deployment(&self, namespace: &str, name: &str) -> Option<serde_json::Value> {
        let (store, _) = self.deployments().await?;
        let found = store.get(&ObjectRef::new(name).within(namespace))?;
        serde_json::to_value(found.as_ref()).ok()
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
    watcher::Config::default().labels(&format!("{}={}", MANAGED_BY.0, MANAGED_BY.1)).any_semantic()
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
