//! Whether a cluster still answers. A watch can sit silent for minutes on a frozen API server
//! whose sockets stay open, and a request can wait as long, so silence is never read as "nothing
//! happened": a short request on its own deadline, repeated, says when a cluster stopped
//! answering and when it answers again.

use std::ops::ControlFlow;
use std::time::Duration;

/// How often a cluster is asked.
pub const INTERVAL: Duration = Duration::from_secs(5);
/// How long one answer may take.
pub const DEADLINE: Duration = Duration::from_secs(5);
/// Missed answers in a row after which the cluster counts as not answering.
pub const MISSES: u32 = 2;

/// Whether the cluster behind `client` answers a version request within [`DEADLINE`].
pub async fn answers(client: &kube::Client) -> bool {
    matches!(tokio::time::timeout(DEADLINE, client.apiserver_version()).await, Ok(Ok(_)))
}

/// Follows whether the cluster behind `client` answers: calls `changed(false)` once it has
/// missed [`MISSES`] answers in a row (about `MISSES × (INTERVAL + DEADLINE)` after it froze, at
/// most) and `changed(true)` once it answers again; stops when `changed` says so.
pub async fn follow(client: &kube::Client, mut changed: impl FnMut(bool) -> ControlFlow<()>) {
    let mut missed = 0;
    let mut answering = true;
    loop {
        tokio::time::sleep(INTERVAL).await;
        missed = if answers(client).await { 0 } else { missed + 1 };
        let now = missed < MISSES;
        if now != answering {
            answering = now;
            if changed(answering).is_break() {
                return;
            }
        }
    }
}

/// Returns once the cluster behind `client` has stopped answering; never while it answers.
pub async fn stopped_answering(client: &kube::Client) {
    follow(client, |answering| if answering { ControlFlow::Continue(()) } else { ControlFlow::Break(()) }).await;
}
