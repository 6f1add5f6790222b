//! Write-behind: the fleet hands its changes over and moves on; one task writes whatever is
//! pending in a single transaction, so the watchers never wait for the disk. What is pending is
//! bounded: changes are merged per tenant and per cluster (the newest state wins; each spec
//! revision seen is kept), so a slow or failing disk holds at most one entry per tenant. A write
//! that fails is retried with a growing pause (its changes merged under newer ones) and reported;
//! `finish` writes what is pending before the task ends.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tenantry_model::{ClusterStatus, TenantSummary};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::tenants::{self, SeenTenant, StoredState};
use super::{Cache, CacheError, clusters};

/// Spec revisions, and states at a change of health, of one tenant kept pending at most (the
/// newest).
const PENDING_SPECS: usize = 20;
/// The first pause after a failed write; it doubles up to [`LONGEST_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(200);
/// The longest pause between retries.
const LONGEST_PAUSE: Duration = Duration::from_secs(5);
/// Attempts at writing what is pending when the writer finishes.
const FINAL_ATTEMPTS: u32 = 3;

/// One change to remember.
#[derive(Debug, Clone)]
pub enum Write {
    /// Tenants of `cluster` seen live at `at`, and ids that disappeared.
    Tenants {
        /// The cluster.
        cluster: String,
        /// Tenants that appeared or changed.
        seen: Vec<SeenTenant>,
        /// Tenants that no longer exist.
        removed: Vec<String>,
        /// When (RFC 3339).
        at: String,
    },
    /// A cluster's connection at `at`.
    Cluster {
        /// Its status.
        status: ClusterStatus,
        /// When (RFC 3339).
        at: String,
    },
}

/// The pending state of one tenant.
#[derive(Debug, Clone)]
enum TenantChange {
    /// Seen live: the row at each change of health since the last write (the newest last; the
    /// fleet's own rows, not copies), each with when it was seen, and every spec revision seen.
    Seen { states: Vec<(Arc<TenantSummary>, Arc<str>)>, specs: BTreeMap<u64, String> },
    /// Gone.
    Removed,
}

/// Everything not yet written: one entry per tenant and per cluster.
#[derive(Debug, Default)]
struct Pending {
    tenants: BTreeMap<(String, String), TenantChange>,
    clusters: BTreeMap<String, (ClusterStatus, String)>,
    closed: bool,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.tenants.is_empty() && self.clusters.is_empty()
    }

    /// Takes `write` in, the newest state of each tenant and cluster winning.
    fn merge(&mut self, write: Write) {
        match write {
            Write::Tenants { cluster, seen, removed, at } => {
                let at: Arc<str> = at.into();
                for tenant in seen {
                    let key = (cluster.clone(), tenant.summary.id.clone());
                    let (mut states, mut specs) = match self.tenants.remove(&key) {
                        Some(TenantChange::Seen { states, specs }) => (states, specs),
                        _ => (Vec::new(), BTreeMap::new()),
                    };
                    if let Some((revision, spec)) = tenant.spec {
                        specs.insert(revision, spec);
                    }
                    while specs.len() > PENDING_SPECS {
                        specs.pop_first();
                    }
                    // The same health again replaces the last state; a new one is a transition.
                    if states.last().is_some_and(|(last, _)| last.health == tenant.summary.health) {
                        states.pop();
                    }
                    states.push((tenant.summary, Arc::clone(&at)));
                    if states.len() > PENDING_SPECS {
                        states.remove(0);
                    }
                    self.tenants.insert(key, TenantChange::Seen { states, specs });
                }
                for id in removed {
                    self.tenants.insert((cluster.clone(), id), TenantChange::Removed);
                }
            }
            Write::Cluster { status, at } => {
                self.clusters.insert(status.context.clone(), (status, at));
            }
        }
    }

    /// Puts back `older` changes that could not be written, under the ones that came since.
    fn restore(&mut self, older: Self) {
        for (key, change) in older.tenants {
            self.tenants.entry(key).or_insert(change);
        }
        for (key, status) in older.clusters {
            self.clusters.entry(key).or_insert(status);
        }
    }
}

/// The pending changes and the task's wake-up.
#[derive(Default)]
struct Shared {
    pending: Mutex<Pending>,
    wake: Notify,
}

impl Shared {
    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The handing-over side of the write-behind task.
pub struct CacheWriter {
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl CacheWriter {
    pub(super) fn start(cache: Cache) -> Self {
        let shared = Arc::new(Shared::default());
        let task = tokio::spawn(run(cache, Arc::clone(&shared)));
        Self { shared, task }
    }

    /// Hands `write` over without waiting.
    pub fn send(&self, write: Write) {
        self.shared.pending().merge(write);
        self.shared.wake.notify_one();
    }

    /// Writes everything pending, then stops the task.
    pub async fn finish(self) {
        self.shared.pending().closed = true;
        self.shared.wake.notify_one();
        if let Err(err) = self.task.await {
            tracing::warn!(error = %err, "the cache writer ended abnormally");
        }
    }
}

async fn run(cache: Cache, shared: Arc<Shared>) {
    if let Some(why) = &cache.read_only {
        tracing::info!(why = %why, "the fleet cache is read-only; nothing is written to it");
    }
    let mut pause = FIRST_PAUSE;
    let mut failures = 0u32;
    loop {
        let (batch, closed) = {
            let mut pending = shared.pending();
            let batch = Pending {
                tenants: std::mem::take(&mut pending.tenants),
                clusters: std::mem::take(&mut pending.clusters),
                closed: false,
            };
            (batch, pending.closed)
        };
        if batch.is_empty() {
            if closed {
                return;
            }
            shared.wake.notified().await;
            continue;
        }
        if cache.read_only.is_some() {
            continue;
        }
        match write(&cache, &batch).await {
            Ok(()) => {
                if failures > 0 {
                    tracing::info!(failures, "cache writes work again");
                }
                failures = 0;
                pause = FIRST_PAUSE;
            }
            Err(err) => {
                failures += 1;
                let changes = batch.tenants.len() + batch.clusters.len();
                if closed && failures >= FINAL_ATTEMPTS {
                    tracing::warn!(error = %crate::error::chain(&err), changes, "cache write failed; these changes were not cached");
                    return;
                }
                tracing::warn!(error = %crate::error::chain(&err), changes, failures, "cache write failed; retrying");
                shared.pending().restore(batch);
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(LONGEST_PAUSE);
            }
        }
    }
}

async fn write(cache: &Cache, batch: &Pending) -> Result<(), CacheError> {
    let mut tx = cache.pool.begin().await?;
    for ((cluster, id), change) in &batch.tenants {
        match change {
            TenantChange::Seen { states, specs } => {
                for (summary, at) in states {
                    tenants::upsert(&mut tx, cluster, id, &StoredState::of(summary, at)?).await?;
                }
                if let Some((_, at)) = states.last() {
                    for (revision, spec) in specs {
                        tenants::remember_spec(&mut tx, (cluster, id), (*revision, spec), at).await?;
                    }
                }
            }
            TenantChange::Removed => tenants::remove(&mut tx, cluster, std::slice::from_ref(id)).await?,
        }
    }
    for (status, at) in batch.clusters.values() {
        clusters::record(&mut tx, status, at).await?;
    }
    tx.commit().await?;
    Ok(())
}
