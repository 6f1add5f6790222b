//! Status propagation: a pod's Ready condition is patched, and a fleet subscriber times how
//! long until the diff that changes its tenant's health arrives.

use std::path::Path;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt as _;
use kube::api::{Api, ListParams, Patch, PatchParams};
use tenantry_core::fleet::{Fleet, Settings};
use tenantry_core::kubeconfig::ContextEntry;
use tenantry_model::{ConnectionState, FleetEvent, Health};
use tenantry_tests::cluster::client_for;
use tenantry_tests::seed::{self, Condition};

use crate::BenchError;

/// How long one flip may take to reach the subscriber before the run counts as failed.
const FLIP_TIMEOUT: Duration = Duration::from_secs(10);

/// Flips the readiness of `flips` healthy seeded tenants (spread over the clusters) to false
/// and back, with a fleet caching to `cache` as the app runs it; returns every latency.
pub async fn measure(
    entries: &[ContextEntry],
    kubeconfig: &Path,
    cache: &Path,
    flips: usize,
) -> Result<Vec<Duration>, BenchError> {
    let fleet = Fleet::start(entries.to_vec(), Some(cache), Settings::default()).await;
    fleet.settled(crate::lists::LIVE_TIMEOUT).await;
    if fleet.clusters().iter().any(|c| c.state != ConnectionState::Live) {
        return Err(BenchError::Failed("a cluster did not go live for the propagation runs".into()));
    }
    let mut events = Box::pin(fleet.subscribe());
    events.next().await;
    let healthy = (0..).map(|i| seed::tenant(i, 2)).filter(|t| t.condition == Condition::Healthy);
    let mut latencies = Vec::new();
    for (n, tenant) in healthy.take(flips).enumerate() {
        let context = &entries[n % entries.len()].name;
        let pods: Api<Pod> =
            Api::namespaced(client_for(kubeconfig, Some(context)).await.map_err(BenchError::Setup)?, &tenant.id);
        let pod = first_pod(&pods).await?;
        for (ready, health) in [("False", Health::Degraded), ("True", Health::Healthy)] {
            let started = Instant::now();
            let patch =
                serde_json::json!({"status": {"conditions": [{"type": "Ready", "status": ready, "reason": "Bench"}]}});
            pods.patch_status(&pod, &PatchParams::default(), &Patch::Strategic(patch))
                .await
                .map_err(|source| BenchError::Kube { what: format!("patch {}/{pod}", tenant.id), source })?;
            let arrived = async {
                while let Some(event) = events.next().await {
                    if turns(&event, context, &tenant.id, health) {
                        return true;
                    }
                }
                false
            };
            if !tokio::time::timeout(FLIP_TIMEOUT, arrived).await.unwrap_or(false) {
                return Err(BenchError::Failed(format!("{context}/{}: {health:?} never arrived", tenant.id)));
            }
            latencies.push(started.elapsed());
        }
    }
    drop(events);
    fleet.shutdown().await;
    Ok(latencies)
}

async fn first_pod(pods: &Api<Pod>) -> Result<String, BenchError> {
    let listed = pods
        .list(&ListParams::default().labels("app.kubernetes.io/name=app"))
        .await
        .map_err(|source| BenchError::Kube { what: "list a tenant's pods".into(), source })?;
    let mut names: Vec<String> = listed.items.iter().map(|p| p.name_any()).collect();
    names.sort();
    names.into_iter().next().ok_or_else(|| BenchError::Failed("a healthy seeded tenant has no pod".into()))
}

fn turns(event: &FleetEvent, cluster: &str, id: &str, health: Health) -> bool {
    matches!(event, FleetEvent::Changes(c)
        if c.cluster == cluster && c.upserted.iter().any(|t| t.id == id && t.health == health))
}
