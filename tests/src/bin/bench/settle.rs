//! Waits until the seeded clusters have stopped changing (KWOK starts thousands of pods
//! gradually), so that the timed runs measure listing and watching, not the seeding.

use std::path::Path;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, ListParams};
use tenantry_tests::cluster::client_for;

use crate::BenchError;

/// How often the clusters are counted.
const POLL: Duration = Duration::from_secs(5);
/// How long the clusters may take to become quiet.
const QUIET_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// What one cluster holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    /// The context.
    pub context: String,
    /// Tenant namespaces.
    pub tenants: usize,
    /// Tenantry's Deployments.
    pub deployments: usize,
    /// Pods in tenant namespaces (apps and backup jobs).
    pub pods: usize,
    /// Of those, the ones that are Ready.
    pub ready: usize,
    /// Pods outside every tenant namespace (which the fleet's workload watches list too).
    pub outside: usize,
}

/// Counts every cluster until two counts in a row agree; returns the last one.
pub async fn quiet(kubeconfig: &Path, contexts: &[String]) -> Result<Vec<Counts>, BenchError> {
    let deadline = Instant::now() + QUIET_TIMEOUT;
    let mut last: Option<Vec<Counts>> = None;
    loop {
        let mut now = Vec::new();
        for context in contexts {
            now.push(count(kubeconfig, context).await?);
        }
        if last.as_ref() == Some(&now) && now.iter().all(|c| c.tenants > 0) {
            return Ok(now);
        }
        if Instant::now() > deadline {
            return Err(BenchError::Failed(format!("the clusters never settled: {now:?}")));
        }
        let ready: usize = now.iter().map(|c| c.ready).sum();
        eprintln!("bench: waiting for the clusters to settle ({ready} pods ready)");
        last = Some(now);
        tokio::time::sleep(POLL).await;
    }
}

async fn count(kubeconfig: &Path, context: &str) -> Result<Counts, BenchError> {
    let client = client_for(kubeconfig, Some(context)).await?;
    let tenants = ListParams::default().labels("tenantry.io/tenant");
    let failed = |what: &str| {
        let what = format!("{context}: list {what}");
        move |source| BenchError::Kube { what, source }
    };
    let namespaces =
        Api::<Namespace>::all(client.clone()).list_metadata(&tenants).await.map_err(failed("namespaces"))?;
    let deployments = Api::<Deployment>::all(client.clone())
        .list_metadata(&ListParams::default().labels("app.kubernetes.io/managed-by=tenantry"))
        .await
        .map_err(failed("deployments"))?;
    let all = Api::<Pod>::all(client).list(&ListParams::default()).await.map_err(failed("pods"))?;
    let (pods, outside): (Vec<Pod>, Vec<Pod>) = all
        .items
        .into_iter()
        .partition(|pod| pod.metadata.labels.as_ref().is_some_and(|l| l.contains_key("tenantry.io/tenant")));
    let ready = pods
        .iter()
        .filter(|pod| {
            let conditions = pod.status.as_ref().and_then(|s| s.conditions.as_ref());
            conditions.is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
        })
        .count();
    Ok(Counts {
        context: context.to_owned(),
        tenants: namespaces.items.len(),
        deployments: deployments.items.len(),
        pods: pods.len(),
        ready,
        outside: outside.len(),
    })
}
