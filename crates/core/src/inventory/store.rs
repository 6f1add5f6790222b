//! One kind's objects as its watch last saw them, found by namespace and name. Unlike kube's
//! reflector store it keeps no second copy of each object's identity (name, namespace,
//! resourceVersion and uid) beside the object — not even as a map key: objects are found by the
//! hash of where they live —, and a relisting replaces the whole set at once.

use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, PoisonError, RwLock};

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use tokio::sync::watch;

/// The objects of one kind, shared between its watch (which writes) and the inventory (which
/// reads); cloning it gives another handle on the same objects.
pub struct Store<K> {
    objects: Arc<RwLock<Objects<K>>>,
    listed: watch::Receiver<bool>,
}

impl<K> Clone for Store<K> {
    fn clone(&self) -> Self {
        Self { objects: Arc::clone(&self.objects), listed: self.listed.clone() }
    }
}

/// The write side of a [`Store`], owned by its watch.
pub struct Writer<K> {
    objects: Arc<RwLock<Objects<K>>>,
    listed: watch::Sender<bool>,
}

/// A new store and the writer that fills it.
pub fn store<K>() -> (Store<K>, Writer<K>) {
    let objects = Arc::new(RwLock::new(Objects::default()));
    let (listed, receiver) = watch::channel(false);
    (Store { objects: Arc::clone(&objects), listed: receiver }, Writer { objects, listed })
}

/// What a store needs of the objects it holds: where each lives, and the version it was seen at.
pub trait Keyed {
    /// The object's namespace (`None` for a cluster-scoped kind) and name.
    fn location(&self) -> (Option<&str>, &str);
    /// The resourceVersion it was seen at, if the server gave one.
    fn seen_version(&self) -> Option<&str>;
}

/// Objects found by the hash of their location.
struct Objects<K> {
    table: HashTable<Arc<K>>,
    hasher: RandomState,
}

impl<K> Default for Objects<K> {
    fn default() -> Self {
        Self { table: HashTable::new(), hasher: RandomState::new() }
    }
}

impl<K> Objects<K> {
    /// The hash of `location`.
    fn hash(&self, location: (Option<&str>, &str)) -> u64 {
        self.hasher.hash_one(location)
    }
}

impl<K: Keyed> Objects<K> {
    /// The object at `location`.
    fn get(&self, location: (Option<&str>, &str)) -> Option<&Arc<K>> {
        self.table.find(self.hash(location), |object| object.location() == location)
    }

    /// Adds `object`, or replaces the one at its location.
    fn insert(&mut self, object: Arc<K>) {
        let hash = self.hash(object.location());
        let hasher = &self.hasher;
        match self.table.entry(
            hash,
            |found| found.location() == object.location(),
            |found| hasher.hash_one(found.location()),
        ) {
            Entry::Occupied(mut entry) => *entry.get_mut() = object,
            Entry::Vacant(entry) => {
                entry.insert(object);
            }
        }
    }

    /// Removes the object at `location`.
    fn remove(&mut self, location: (Option<&str>, &str)) {
        if let Ok(entry) = self.table.find_entry(self.hash(location), |object| object.location() == location) {
            entry.remove();
        }
    }
}

/// A complete listing's objects as a store keeps them, gathered one object at a time as they
/// are decoded (no list of every object is built first).
pub struct Listed<K>(Objects<K>);

impl<K> Default for Listed<K> {
    fn default() -> Self {
        Self(Objects::default())
    }
}

impl<K: Keyed> Listed<K> {
    /// Adds `object`, replacing one listed before at its place.
    pub fn push(&mut self, object: K) {
        self.0.insert(Arc::new(object));
    }
}

impl<K: Keyed> Store<K> {
    /// Every object, in no particular order.
    pub fn state(&self) -> Vec<Arc<K>> {
        self.objects.read().unwrap_or_else(PoisonError::into_inner).table.iter().cloned().collect()
    }

    /// The objects `keep` keeps, in no particular order.
    pub fn matching(&self, keep: impl Fn(&K) -> bool) -> Vec<Arc<K>> {
        let objects = self.objects.read().unwrap_or_else(PoisonError::into_inner);
        objects.table.iter().filter(|object| keep(object)).cloned().collect()
    }

    /// The object `name` in `namespace` (`None` for a cluster-scoped kind).
    pub fn get(&self, namespace: Option<&str>, name: &str) -> Option<Arc<K>> {
        self.objects.read().unwrap_or_else(PoisonError::into_inner).get((namespace, name)).cloned()
    }

    /// Returns once the store holds a complete listing (at once if it ever did).
    pub async fn wait_until_ready(&self) {
        let mut listed = self.listed.clone();
        // The writer lives as long as its watch; a store whose watch ended stays as it was.
        let _ = listed.wait_for(|listed| *listed).await;
    }
}

impl<K: Keyed> Writer<K> {
    /// Replaces every object with a complete listing's.
    pub fn replace(&self, listing: Listed<K>) {
        let before = std::mem::replace(&mut *self.objects.write().unwrap_or_else(PoisonError::into_inner), listing.0);
        // The previous listing is freed after the lock is let go, not while readers wait.
        drop(before);
        self.listed.send_replace(true);
    }

    /// Adds `object` or replaces its older version.
    pub fn apply(&self, object: K) {
        self.objects.write().unwrap_or_else(PoisonError::into_inner).insert(Arc::new(object));
    }

    /// Removes `object`.
    pub fn delete(&self, object: &K) {
        self.objects.write().unwrap_or_else(PoisonError::into_inner).remove(object.location());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A namespaced object holding one value.
    struct ConfigMap {
        namespace: String,
        name: String,
        value: String,
    }

    impl Keyed for ConfigMap {
        fn location(&self) -> (Option<&str>, &str) {
            (Some(&self.namespace), &self.name)
        }

        fn seen_version(&self) -> Option<&str> {
            None
        }
    }

    fn map(namespace: &str, name: &str, value: &str) -> ConfigMap {
        ConfigMap { namespace: namespace.into(), name: name.into(), value: value.into() }
    }

    fn listed(objects: Vec<ConfigMap>) -> Listed<ConfigMap> {
        let mut listed = Listed::default();
        objects.into_iter().for_each(|object| listed.push(object));
        listed
    }

    fn value(store: &Store<ConfigMap>, namespace: &str, name: &str) -> Option<String> {
        store.get(Some(namespace), name).map(|m| m.value.clone())
    }

    #[tokio::test]
    async fn a_listing_replaces_everything_and_makes_the_store_ready() {
        let (store, writer) = store::<ConfigMap>();
        writer.apply(map("a", "old", "1"));
        let ready = tokio::spawn({
            let store = store.clone();
            async move { store.wait_until_ready().await }
        });
        writer.replace(listed(vec![map("a", "x", "1"), map("b", "x", "2")]));
        ready.await.expect("ready after the listing");
        assert_eq!(store.state().len(), 2);
        assert_eq!(value(&store, "a", "old"), None);
        assert_eq!((value(&store, "a", "x").as_deref(), value(&store, "b", "x").as_deref()), (Some("1"), Some("2")));
    }

    #[tokio::test]
    async fn events_update_and_remove_one_object() {
        let (store, writer) = store::<ConfigMap>();
        writer.replace(listed(vec![map("a", "x", "1"), map("a", "y", "1")]));
        writer.apply(map("a", "x", "2"));
        writer.delete(&map("a", "y", "1"));
        assert_eq!(value(&store, "a", "x").as_deref(), Some("2"));
        assert_eq!(value(&store, "a", "y"), None);
        assert_eq!(store.state().len(), 1);
    }
}
