//! One kind's objects as its watch last saw them, keyed by namespace and name. Unlike kube's
//! reflector store it keeps no second copy of each object's identity (name, namespace,
//! resourceVersion and uid) beside the object, and a relisting replaces the whole set at once.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use kube::Resource;
use tokio::sync::watch;

/// The objects of one kind, shared between its watch (which writes) and the inventory (which
/// reads); cloning it gives another handle on the same objects.
pub struct Store<K> {
    objects: Arc<RwLock<HashMap<Key, Arc<K>>>>,
    listed: watch::Receiver<bool>,
}

impl<K> Clone for Store<K> {
    fn clone(&self) -> Self {
        Self { objects: Arc::clone(&self.objects), listed: self.listed.clone() }
    }
}

/// The write side of a [`Store`], owned by its watch.
pub struct Writer<K> {
    objects: Arc<RwLock<HashMap<Key, Arc<K>>>>,
    listed: watch::Sender<bool>,
}

/// An object's key: `namespace/name`, or `name` for a cluster-scoped object.
type Key = String;

/// A new store and the writer that fills it.
pub fn store<K>() -> (Store<K>, Writer<K>) {
    let objects = Arc::new(RwLock::new(HashMap::new()));
    let (listed, receiver) = watch::channel(false);
    (Store { objects: Arc::clone(&objects), listed: receiver }, Writer { objects, listed })
}

/// The key of `namespace`/`name`.
fn key(namespace: Option<&str>, name: &str) -> Key {
    match namespace {
        Some(namespace) => format!("{namespace}/{name}"),
        None => name.to_owned(),
    }
}

/// The key of `object`.
fn key_of<K: Resource>(object: &K) -> Key {
    let meta = object.meta();
    key(meta.namespace.as_deref(), meta.name.as_deref().unwrap_or_default())
}

impl<K> Store<K> {
    /// Every object, in no particular order.
    pub fn state(&self) -> Vec<Arc<K>> {
        self.objects.read().unwrap_or_else(PoisonError::into_inner).values().cloned().collect()
    }

    /// The object `name` in `namespace` (`None` for a cluster-scoped kind).
    pub fn get(&self, namespace: Option<&str>, name: &str) -> Option<Arc<K>> {
        self.objects.read().unwrap_or_else(PoisonError::into_inner).get(&key(namespace, name)).cloned()
    }

    /// Returns once the store holds a complete listing (at once if it ever did).
    pub async fn wait_until_ready(&self) {
        let mut listed = self.listed.clone();
        // The writer lives as long as its watch; a store whose watch ended stays as it was.
        let _ = listed.wait_for(|listed| *listed).await;
    }
}

impl<K: Resource> Writer<K> {
    /// Replaces every object with a complete listing's.
    pub fn replace(&self, listing: Vec<K>) {
        let objects: HashMap<Key, Arc<K>> =
            listing.into_iter().map(|object| (key_of(&object), Arc::new(object))).collect();
        *self.objects.write().unwrap_or_else(PoisonError::into_inner) = objects;
        self.listed.send_replace(true);
    }

    /// Adds `object` or replaces its older version.
    pub fn apply(&self, object: K) {
        let key = key_of(&object);
        self.objects.write().unwrap_or_else(PoisonError::into_inner).insert(key, Arc::new(object));
    }

    /// Removes `object`.
    pub fn delete(&self, object: &K) {
        self.objects.write().unwrap_or_else(PoisonError::into_inner).remove(&key_of(object));
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use super::*;

    fn map(namespace: &str, name: &str, value: &str) -> ConfigMap {
        ConfigMap {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some(namespace.into()),
                ..ObjectMeta::default()
            },
            data: Some([("v".to_owned(), value.to_owned())].into()),
            ..ConfigMap::default()
        }
    }

    fn value(store: &Store<ConfigMap>, namespace: &str, name: &str) -> Option<String> {
        store.get(Some(namespace), name).and_then(|m| m.data.as_ref()?.get("v").cloned())
    }

    #[tokio::test]
    async fn a_listing_replaces_everything_and_makes_the_store_ready() {
        let (store, writer) = store::<ConfigMap>();
        writer.apply(map("a", "old", "1"));
        let ready = tokio::spawn({
            let store = store.clone();
            async move { store.wait_until_ready().await }
        });
        writer.replace(vec![map("a", "x", "1"), map("b", "x", "2")]);
        ready.await.expect("ready after the listing");
        assert_eq!(store.state().len(), 2);
        assert_eq!(value(&store, "a", "old"), None);
        assert_eq!((value(&store, "a", "x").as_deref(), value(&store, "b", "x").as_deref()), (Some("1"), Some("2")));
    }

    #[tokio::test]
    async fn events_update_and_remove_one_object() {
        let (store, writer) = store::<ConfigMap>();
        writer.replace(vec![map("a", "x", "1"), map("a", "y", "1")]);
        writer.apply(map("a", "x", "2"));
        writer.delete(&map("a", "y", "1"));
        assert_eq!(value(&store, "a", "x").as_deref(), Some("2"));
        assert_eq!(value(&store, "a", "y"), None);
        assert_eq!(store.state().len(), 1);
    }
}
