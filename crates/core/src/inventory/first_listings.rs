//! The fleet's first listings, which every cluster's detail kinds and drift sweep wait for: at
//! start the API servers — and, with local clusters, the machine's cores — serve every cluster's
//! tenant list before any cluster lists what only fills in the details. A cluster counts until
//! its tenant list has listed, a watch of it has failed (unreachable, refused), or [`BOUND`] has
//! passed, so a silent one delays the others' details by at most that.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

/// The longest a cluster's first listing holds the other clusters' details back.
pub const BOUND: Duration = Duration::from_secs(5);

/// The clusters of one fleet still within their first listing; clones share the count.
#[derive(Clone, Debug)]
pub struct FirstListings {
    pending: Arc<watch::Sender<usize>>,
}

impl Default for FirstListings {
    fn default() -> Self {
        Self { pending: Arc::new(watch::Sender::new(0)) }
    }
}

/// One cluster's part in the count, given up when dropped.
pub struct Entered {
    pending: Arc<watch::Sender<usize>>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        self.pending.send_modify(|pending| *pending = pending.saturating_sub(1));
    }
}

impl FirstListings {
    /// Counts a cluster starting its first listing until the returned part is dropped.
    pub fn enter(&self) -> Entered {
        self.pending.send_modify(|pending| *pending += 1);
        Entered { pending: Arc::clone(&self.pending) }
    }

    /// Completes once no cluster is within its first listing.
    pub fn done(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut pending = self.pending.subscribe();
        async move {
            let _ = pending.wait_for(|pending| *pending == 0).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn done_waits_for_every_cluster_that_entered() {
        let listings = FirstListings::default();
        listings.done().await;
        let (first, second) = (listings.enter(), listings.enter());
        let done = tokio::spawn(listings.done());
        drop(first);
        tokio::task::yield_now().await;
        assert!(!done.is_finished(), "one cluster still lists");
        drop(second);
        tokio::time::timeout(Duration::from_secs(1), done).await.expect("done").expect("joins");
    }
}
