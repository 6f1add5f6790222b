//! Time until every cluster's tenant objects are in hand, three ways: Tenantry's fleet (all
//! clusters live), raw parallel HTTP LIST requests, and `kubectl get -o json`.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tenantry_core::fleet::{Fleet, Settings};
use tenantry_core::kubeconfig::ContextEntry;
use tenantry_model::ConnectionState;
use tenantry_tests::cluster::client_for;

use crate::BenchError;

/// What the fleet lists before it is live, as raw API paths: tenant namespaces (Tenantry's
/// label, the default rules), and every Deployment, StatefulSet and pod of the cluster (a
/// tenant's workloads need not carry any label), from the API server's watch cache as the
/// watches ask.
const LIST_PATHS: [&str; 4] = [
    "/api/v1/namespaces?labelSelector=tenantry.io%2Ftenant&resourceVersion=0",
    "/apis/apps/v1/deployments?resourceVersion=0",
    "/apis/apps/v1/statefulsets?resourceVersion=0",
    "/api/v1/pods?resourceVersion=0",
];
/// The quiet before each timed listing, so that none is timed while the API servers still
/// work off the one before.
pub const PAUSE: Duration = Duration::from_secs(5);
/// How long the fleet may take to go live before the run counts as failed.
pub const LIVE_TIMEOUT: Duration = Duration::from_secs(120);

/// Starts a fleet without a cache and times it until every cluster is live with `tenants`
/// rows in all.
pub async fn fleet_live(entries: &[ContextEntry], tenants: usize) -> Result<Duration, BenchError> {
    let started = Instant::now();
    let fleet = Fleet::start(entries.to_vec(), None, Settings::default()).await;
    fleet.settled(LIVE_TIMEOUT).await;
    let elapsed = started.elapsed();
    let not_live: Vec<String> =
        fleet.clusters().into_iter().filter(|c| c.state != ConnectionState::Live).map(|c| c.context).collect();
    let rows = fleet.tenants().len();
    fleet.shutdown().await;
    if !not_live.is_empty() {
        return Err(BenchError::Failed(format!("clusters not live after {} s: {not_live:?}", LIVE_TIMEOUT.as_secs())));
    }
    if rows != tenants {
        return Err(BenchError::Failed(format!("the fleet shows {rows} tenants, the clusters hold {tenants}")));
    }
    Ok(elapsed)
}

/// Lists [`LIST_PATHS`] of every context at once over fresh clients, reading each body whole;
/// returns the time and the bytes read.
pub async fn raw_lists(kubeconfig: &Path, contexts: &[String]) -> Result<(Duration, usize), BenchError> {
    let started = Instant::now();
    let per_cluster = contexts.iter().map(|context| async move {
        let client = client_for(kubeconfig, Some(context)).await.map_err(BenchError::Setup)?;
        let lists = LIST_PATHS.iter().map(|path| {
            let client = client.clone();
            async move {
                let request =
                    http::Request::get(*path).body(Vec::new()).map_err(|e| BenchError::Failed(e.to_string()))?;
                client
                    .request_text(request)
                    .await
                    .map_err(|source| BenchError::Kube { what: (*path).to_owned(), source })
            }
        });
        futures::future::try_join_all(lists).await
    });
    let bodies = futures::future::try_join_all(per_cluster).await?;
    let elapsed = started.elapsed();
    Ok((elapsed, bodies.iter().flatten().map(String::len).sum()))
}

/// Runs `kubectl get deployments,statefulsets,pods -A -o json` (what the fleet lists, but for
/// the few tenant namespaces) for every context at once (output discarded) and times it until
/// the last one exits.
pub async fn kubectl_lists(kubectl: &Path, kubeconfig: &Path, contexts: &[String]) -> Result<Duration, BenchError> {
    let started = Instant::now();
    let mut children = Vec::new();
    for context in contexts {
        let child = tokio::process::Command::new(kubectl)
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .args(["--context", context, "get", "deployments,statefulsets,pods", "-A"])
            .args(["-o", "json"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| BenchError::Process { what: kubectl.display().to_string(), source })?;
        children.push(child);
    }
    for child in children {
        let output = child
            .wait_with_output()
            .await
            .map_err(|source| BenchError::Process { what: kubectl.display().to_string(), source })?;
        if !output.status.success() {
            return Err(BenchError::Failed(format!("kubectl failed: {}", String::from_utf8_lossy(&output.stderr))));
        }
    }
    Ok(started.elapsed())
}
