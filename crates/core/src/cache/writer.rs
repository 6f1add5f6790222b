//! Write-behind: the fleet hands its changes to a channel and moves on; one task writes
//! whatever has queued up in a single transaction, so the watchers never wait for the disk.

use tenantry_model::ClusterStatus;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::tenants::{self, SeenTenant};
use super::{Cache, CacheError, clusters};

/// Most writes taken into one transaction.
const BATCH: usize = 512;

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

/// The sending side of the write-behind task; dropping every clone lets the task finish.
pub struct CacheWriter {
    sender: mpsc::UnboundedSender<Write>,
    task: JoinHandle<()>,
}

impl CacheWriter {
    pub(super) fn start(cache: Cache) -> Self {
        let (sender, mut receiver) = mpsc::unbounded_channel::<Write>();
        let task = tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while receiver.recv_many(&mut batch, BATCH).await > 0 {
                if let Err(err) = write(&cache, &batch).await {
                    tracing::warn!(error = %crate::error::chain(&err), writes = batch.len(), "cache write failed; the cache may lag");
                }
                batch.clear();
            }
        });
        Self { sender, task }
    }

    /// Queues `write` without waiting.
    pub fn send(&self, write: Write) {
        if self.sender.send(write).is_err() {
            tracing::warn!("the cache writer has stopped; a change was not cached");
        }
    }

    /// Writes everything queued so far, then stops the task.
    pub async fn finish(self) {
        drop(self.sender);
        if let Err(err) = self.task.await {
            tracing::warn!(error = %err, "the cache writer ended abnormally");
        }
    }
}

async fn write(cache: &Cache, batch: &[Write]) -> Result<(), CacheError> {
    let mut tx = cache.pool.begin().await?;
    for write in batch {
        match write {
            Write::Tenants { cluster, seen, removed, at } => {
                tenants::upsert(&mut tx, seen, at).await?;
                tenants::remove(&mut tx, cluster, removed).await?;
            }
            Write::Cluster { status, at } => clusters::record(&mut tx, status, at).await?,
        }
    }
    tx.commit().await?;
    Ok(())
}
