//! The cluster's own ceiling for scaling and for a new image, measured next to the core in the
//! same run: the bare minimum each costs (one patch of each Deployment — its scale subresource,
//! or its container's image — a bounded number at once, and one shared watch until every new pod
//! runs), with no Tenantry in the path.

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
    let patch = json!({"spec": {"replicas": replicas}});
    let wanted = move |d: &Deployment| d.spec.as_ref().and_then(|s| s.replicas) == Some(replicas);
    raw_patches(client, ids, concurrency, wanted, |api, name| {
        let patch = patch.clone();
        async move { api.patch_scale(&name, &PatchParams::default(), &Patch::Merge(&patch)).await.map(|_| ()) }
    })
    .await
}

/// Sets the `app` container's image of every tenant Deployment in namespaces `ids` to `image`
/// by a bare strategic-merge patch, `concurrency` at a time, and waits until all have rolled
/// out; returns the time from the first patch to the last Deployment rolled out.
pub async fn raw_images(
    client: &kube::Client,
    ids: &[String],
    image: &str,
    concurrency: usize,
) -> Result<Duration, BenchError> {
    let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}}});
    let image = image.to_owned();
    let wanted = move |d: &Deployment| {
        let containers = d.spec.as_ref().and_then(|s| s.template.spec.as_ref()).map(|s| s.containers.as_slice());
        containers.unwrap_or_default().iter().any(|c| c.name == "app" && c.image.as_deref() == Some(image.as_str()))
    };
    raw_patches(client, ids, concurrency, wanted, |api, name| {
        let patch = patch.clone();
        async move {
            let params = PatchParams { field_manager: Some("bench-ceiling".into()), ..PatchParams::default() };
            api.patch(&name, &params, &Patch::Strategic(&patch)).await.map(|_| ())
        }
    })
    .await
}

/// Patches every tenant Deployment in namespaces `ids` with `patch`, `concurrency` at a time,
/// and waits until each is `patched` (the patch is in its spec) and has rolled out.
async fn raw_patches<F, Fut>(
    client: &kube::Client,
    ids: &[String],
    concurrency: usize,
    patched: impl Fn(&Deployment) -> bool + Send + 'static,
    patch: F,
) -> Result<Duration, BenchError>
where
    F: Fn(Api<Deployment>, String) -> Fut,
    Fut: std::future::Future<Output = Result<(), kube::Error>>,
{
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
    let watch = tokio::spawn(wait_rolled_out(all, expected, patched, ready_tx));
    ready_rx.await.map_err(|_| BenchError::Failed("the Deployment watch ended before its first listing".into()))?;

    let started = Instant::now();
    futures::stream::iter(targets.iter().map(|(namespace, name)| {
        let api: Api<Deployment> = Api::namespaced(client.clone(), namespace);
        let patched = patch(api, name.clone());
        async move {
            patched
                .await
                .map_err(|source| BenchError::Kube { what: format!("cannot patch {namespace}/{name}"), source })
        }
    }))
    .buffer_unordered(concurrency.max(1))
    .try_collect::<Vec<_>>()
    .await?;
    watch.await.map_err(|e| BenchError::Failed(format!("the Deployment watch stopped: {e}")))??;
    Ok(started.elapsed())
}

/// Watches all tenant Deployments until each of `expected` is `wanted` and runs its wanted
/// count of ready pods of its newest generation; says `ready` once the first listing is in.
async fn wait_rolled_out(
    api: Api<Deployment>,
    mut expected: HashSet<(String, String)>,
    wanted: impl Fn(&Deployment) -> bool,
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
        if wanted(&deployment) && rolled_out(&deployment) && expected.remove(&key) && expected.is_empty() {
            return Ok(());
        }
    }
    Err(BenchError::Failed("the Deployment watch ended".into()))
}

/// Whether `deployment` runs its wanted pods, all ready, of its newest generation.
fn rolled_out(deployment: &Deployment) -> bool {
    let Some(replicas) = deployment.spec.as_ref().and_then(|s| s.replicas) else { return false };
    let Some(status) = &deployment.status else {
        return false;
    };
    status.observed_generation.unwrap_or(0) >= deployment.metadata.generation.unwrap_or(0)
        && status.updated_replicas == Some(replicas)
        && status.ready_replicas == Some(replicas)
        && status.replicas == Some(replicas)
}
