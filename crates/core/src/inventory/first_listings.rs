//! The fleet's first listings, which every cluster's detail kinds and drift sweep wait for: at
//! start the API servers — and, with local clusters, the machine's cores — serve every cluster's
//! tenant list before any cluster lists what only fills in the details. A cluster counts until
//! its tenant list has listed, a watch of it has failed (unreachable, refused), or [`BOUND`] has
//! passed, so a silent one delays the others' details by at most that. The details then list
//! [`DETAIL_LISTINGS`] at a time across the fleet, so that ten clusters' fifty detail listings
//! do not take both cores from the changes the live fleet is already following.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

/// The longest a cluster's first listing holds the other clusters' details back.
pub const BOUND: Duration = Duration::from_secs(5);
/// How many detail kinds list at once across the fleet.
pub const DETAIL_LISTINGS: usize = 2;
/// The longest a detail kind's first listing keeps its turn: a frozen API server must not hold
/// the other clusters' details back for as long as its request may wait.
pub const TURN_BOUND: Duration = Duration::from_secs(10);

/// The clusters of one fleet still within their first listing; clones share the count.
#[derive(Clone, Debug)]
pub struct FirstListings {
    pending: Arc<watch::Sender<usize>>,
    details: Arc<Semaphore>,
}

impl Default for FirstListings {
    fn default() -> Self {
        Self { pending: Arc::new(watch::Sender::new(0)), details: Arc::new(Semaphore::new(DETAIL_LISTINGS)) }
    }
}

/// A watch's turn to list for the first time; the next detail kind may list once it is dropped.
#[derive(Debug, Default)]
pub struct Turn {
    /// Held, never read: dropping it frees the place.
    _place: Option<OwnedSemaphorePermit>,
}

impl Turn {
    /// Runs `listing`, giving the turn back when it ends or after [`TURN_BOUND`], whichever
    /// comes first.
    pub async fn hold_while<T>(self, listing: impl Future<Output = T>) -> T {
        let mut listing = std::pin::pin!(listing);
        tokio::select! {
            done = &mut listing => done,
            () = tokio::time::sleep(TURN_BOUND) => {
                drop(self);
                listing.await
            }
        }
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

    /// Completes once `listed` (a cluster's own first listing) and every cluster's first
    /// listing are done.
    pub fn listed_everywhere(
        &self,
        listed: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = ()> + Send + 'static {
        let all_listed = self.done();
        async move {
            listed.await;
            all_listed.await;
        }
    }

    /// A detail kind's turn to list, once [`Self::listed_everywhere`] and fewer than
    /// [`DETAIL_LISTINGS`] others are listing.
    pub fn detail_turn(
        &self,
        listed: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = Turn> + Send + 'static {
        let (listed_everywhere, details) = (self.listed_everywhere(listed), Arc::clone(&self.details));
        async move {
            listed_everywhere.await;
            // The semaphore is never closed.
            Turn { _place: details.acquire_owned().await.ok() }
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

    #[tokio::test(start_paused = true)]
    async fn a_listing_that_never_ends_gives_its_turn_back_after_the_bound() {
        let listings = FirstListings::default();
        for _ in 0..DETAIL_LISTINGS {
            let turn = listings.detail_turn(async {}).await;
            tokio::spawn(turn.hold_while(std::future::pending::<()>()));
        }
        let waiting = tokio::spawn(listings.detail_turn(async {}));
        tokio::time::sleep(TURN_BOUND / 2).await;
        assert!(!waiting.is_finished(), "the frozen listings still hold their turns");
        tokio::time::sleep(TURN_BOUND).await;
        assert!(waiting.is_finished(), "their turns came back after the bound");
    }

    #[tokio::test]
    async fn details_list_a_few_at_a_time() {
        let listings = FirstListings::default();
        let mut turns = Vec::new();
        for _ in 0..DETAIL_LISTINGS {
            turns.push(listings.detail_turn(async {}).await);
        }
        let waiting = tokio::spawn(listings.detail_turn(async {}));
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "every turn is taken");
        drop(turns.pop());
        tokio::time::timeout(Duration::from_secs(1), waiting).await.expect("a turn freed").expect("joins");
    }
}
