//! The cluster's own ceiling for scaling, measured next to the core in the same run: the bare
//! minimum a scale costs (one patch of each Deployment's scale subresource, a bounded number at
//! once, and one shared watch until every new pod runs), with no Tenantry in the path.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use futures::{StreamExt as _, TryStreamExt as _};
use k8s_openapi::api::apps::v1::Deployment;
use kube::ResourceExt as _;
use kube::api::{Api, ListParams, Patch, PatchParams};
use kube::runtime::{WatchStreamExt as _, watcher};
use serde_json::json;

use crate::BenchError;

/// Label every tenant Deployment carries.
const TENANT_SELECTOR: &str = "tenantry.io/tenant";

/// Scales every tenant Deployment in namespaces `ids` to `replicas` through its scale
/// subresource, `concurrency` at a time, and waits until all have rolled out; returns the time
/// from the first patch to the last Deployment rolled out.
pub async fn raw_scales(
    client: &kube::Client,
    ids: &[String],
    replicas: i32,
    concurrency: usize,
) -> Result<Duration, BenchError> {
    let all: Api<Deployment> = Api::all(client.clone());
    let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let targets: Vec<(String, String)> = all
        .list(&ListParams::default().labels(TENANT_SELECTOR))
        .await
        .map_err(|source| BenchError::Kube { what: "cannot list the tenant Deployments".into(), source })?
        .items
        .iter()
        .filter_map(|d| Some((d.namespace()?, d.name_any())))
        .filter(|(namespace, _)| wanted.contains(namespace.as_str()))
        .collect();
    if targets.is_empty() {
        return Err(BenchError::Failed("no tenant Deployment to scale".into()));
    }

    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let expected: HashSet<(String, String)> = targets.iter().cloned().collect();
    let watch = tokio::spawn(wait_rolled_out(all, expected, replicas, ready_tx));
    ready_rx.await.map_err(|_| BenchError::Failed("the Deployment watch ended before its first listing".into()))?;

    let started = Instant::now();
    let patch = json!({"spec": {"replicas": replicas}});
    futures::stream::iter(targets.iter().map(|(namespace, name)| {
        let api: Api<Deployment> = Api::namespaced(client.clone(), namespace);
        let patch = &patch;
        async move {
            api.patch_scale(name, &PatchParams::default(), &Patch::Merge(patch))
                .await
                .map_err(|source| BenchError::Kube { what: format!("cannot scale {namespace}/{name}"), source })
        }
    }))
    .buffer_unordered(concurrency.max(1))
    .try_collect::<Vec<_>>()
    .await?;
    watch.await.map_err(|e| BenchError::Failed(format!("the Deployment watch stopped: {e}")))??;
    Ok(started.elapsed())
}

/// Watches all tenant Deployments until each of `expected` runs `replicas` ready pods of its
/// newest generation; says `ready` once the first listing is in.
async fn wait_rolled_out(
    api: Api<Deployment>,
    mut expected: HashSet<(String, String)>,
    replicas: i32,
    ready: tokio::sync::oneshot::Sender<()>,
) -> Result<(), BenchError> {
    let stream = watcher(api, watcher::Config::default().labels(TENANT_SELECTOR)).default_backoff();
    futures::pin_mut!(stream);
    let mut ready = Some(ready);
    while let Some(event) = stream.next().await {
        let deployment = match event {
            Ok(watcher::Event::Apply(d) | watcher::Event::InitApply(d)) => d,
            Ok(watcher::Event::InitDone) => {
                if let Some(ready) = ready.take() {
                    let _ = ready.send(());
                }
                continue;
            }
            Ok(_) => continue,
            Err(error) => return Err(BenchError::Failed(format!("the Deployment watch failed: {error}"))),
        };
        let key = (deployment.namespace().unwrap_or_default(), deployment.name_any());
        if rolled_out(&deployment, replicas) && expected.remove(&key) && expected.is_empty() {
            return Ok(());
        }
    }
    Err(BenchError::Failed("the Deployment watch ended".into()))
}

fn rolled_out(deployment: &Deployment, replicas: i32) -> bool {
    let wanted = deployment.spec.as_ref().and_then(|s| s.replicas) == Some(replicas);
    let Some(status) = &deployment.status else {
        return false;
    };
    wanted
        && status.observed_generation.unwrap_or(0) >= deployment.metadata.generation.unwrap_or(0)
        && status.updated_replicas == Some(replicas)
        && status.ready_replicas == Some(replicas)
        && status.replicas == Some(replicas)
}
