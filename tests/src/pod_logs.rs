//! Pod logs served by KWOK: files in the CRI log format (`<RFC3339Nano> stdout F text`) that a
//! `Logs` object (one pod) or a `ClusterLogs` object (every pod of a namespace) points a pod's
//! containers at. The API server's `pods/log` reaches them through KWOK's kubelet endpoint, as
//! it reaches a real kubelet; appending to a file is a line a follower sees.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams};
use serde_json::json;

use crate::seed::{Condition, SeededTenant};
use crate::{Error, Result};

/// KWOK's `Logs` CRD file (beside the binaries, see `Binaries::crd`).
pub const LOGS_CRD: &str = "kwok.x-k8s.io_logs.yaml";
/// KWOK's `ClusterLogs` CRD file.
pub const CLUSTER_LOGS_CRD: &str = "kwok.x-k8s.io_clusterlogs.yaml";

/// Field manager of the log objects.
const MANAGER: &str = "tenantry-testenv";

/// The files one pod's log is served from.
#[derive(Debug, Clone)]
pub struct PodLogFiles {
    /// The running container's log.
    pub current: PathBuf,
    /// The log of the container before its last restart.
    pub previous: PathBuf,
}

impl PodLogFiles {
    /// Appends `text` as one line of the running container's log, stamped now.
    pub fn append(&self, text: &str) -> Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.current)
            .map_err(crate::error::io(format!("cannot open {}", self.current.display())))?;
        file.write_all(cri_line(jiff::Timestamp::now(), text).as_bytes())
            .map_err(crate::error::io(format!("cannot append to {}", self.current.display())))
    }
}

/// `text` as one line of the CRI log format, written to stdout at `at`.
pub fn cri_line(at: jiff::Timestamp, text: &str) -> String {
    format!("{at:.9} stdout F {text}\n")
}

/// Lines `(seconds before now, text)` as a CRI log file's content, oldest first.
pub fn cri_log(lines: &[(i64, String)]) -> String {
    let now = jiff::Timestamp::now();
    lines.iter().map(|(ago, text)| cri_line(now - jiff::SignedDuration::from_millis(ago * 1000), text)).collect()
}

/// Serves `current` (and `previous` as the log before the last restart) for every container of
/// pod `namespace/pod`, written under `dir`.
pub async fn serve_pod(
    client: &kube::Client,
    dir: &Path,
    namespace: &str,
    pod: &str,
    current: &str,
    previous: &str,
) -> Result<PodLogFiles> {
    let files = write_files(&dir.join(namespace), pod, current, previous)?;
    let object = json!({
        "apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Logs",
        "metadata": {"name": pod, "namespace": namespace},
        "spec": {"logs": [log_target(&files)]},
    });
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &resource("Logs", "logs"));
    apply(api, pod, object).await?;
    served(client, namespace, pod).await?;
    Ok(files)
}

/// Waits until KWOK serves the log of `pod` (it learns of new log objects through a watch).
async fn served(client: &kube::Client, namespace: &str, pod: &str) -> Result<()> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let params = kube::api::LogParams { tail_lines: Some(1), ..kube::api::LogParams::default() };
        match pods.logs(pod, &params).await {
            Ok(_) => return Ok(()),
            Err(err) if std::time::Instant::now() > deadline => {
                return Err(crate::error::kube(format!("KWOK does not serve the log of pod {pod}"))(err));
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
}

/// Serves `current` and `previous` for every pod of `namespace` that has no log of its own
/// (pods a later rollout creates included), written under `dir`.
pub async fn serve_namespace(
    client: &kube::Client,
    dir: &Path,
    namespace: &str,
    current: &str,
    previous: &str,
) -> Result<PodLogFiles> {
    let files = write_files(&dir.join(namespace), "namespace", current, previous)?;
    let name = format!("namespace-{namespace}");
    let object = json!({
        "apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "ClusterLogs",
        "metadata": {"name": name},
        "spec": {"selector": {"matchNamespaces": [namespace]}, "logs": [log_target(&files)]},
    });
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource("ClusterLogs", "clusterlogs"));
    apply(api, &name, object).await?;
    Ok(files)
}

/// Gives every seeded tenant a generated log: each pod that exists now its own (waiting up to
/// 30 s for the Deployments' pods), any later pod the namespace's. Every seventh running tenant
/// has a pod whose container restarted after a crash, with the crash in its previous log.
/// Returns how many pods got their own log.
pub async fn serve_seeded(client: &kube::Client, dir: &Path, tenants: &[SeededTenant]) -> Result<usize> {
    let pods: Api<Pod> = Api::all(client.clone());
    let expected: usize = tenants.iter().map(|t| usize::try_from(t.replicas).unwrap_or(0)).sum();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let params = ListParams::default().labels("app.kubernetes.io/name=app");
    let listed = loop {
        let listed = pods.list(&params).await.map_err(crate::error::kube("cannot list the seeded pods"))?;
        if listed.items.len() >= expected || std::time::Instant::now() > deadline {
            break listed.items;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    for (index, tenant) in tenants.iter().enumerate() {
        let log = generated_log(tenant, "namespace", 40);
        serve_namespace(client, dir, &tenant.id, &log, "").await?;
        let crashing = index % 7 == 6 && tenant.condition == Condition::Healthy;
        let own = listed.iter().filter(|p| p.metadata.namespace.as_deref() == Some(tenant.id.as_str()));
        for (nth, pod) in own.enumerate() {
            let name = pod.metadata.name.clone().unwrap_or_default();
            let previous = if crashing && nth == 0 { crash_log(tenant) } else { String::new() };
            serve_pod(client, dir, &tenant.id, &name, &generated_log(tenant, &name, 60), &previous).await?;
            if crashing && nth == 0 {
                mark_restarted(client, &tenant.id, &name).await?;
            }
        }
    }
    Ok(listed.len())
}

/// Records in `pod`'s status that its container restarted three times after crashing (KWOK does
/// not simulate restarts; it leaves a running pod's status alone).
pub async fn mark_restarted(client: &kube::Client, namespace: &str, pod: &str) -> Result<()> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let current = pods.get_status(pod).await.map_err(crate::error::kube(format!("cannot read pod {pod}")))?;
    let mut statuses = current.status.and_then(|s| s.container_statuses).unwrap_or_default();
    for status in &mut statuses {
        status.restart_count = 3;
        status.last_state = Some(
            serde_json::from_value(json!({
                "terminated": {"exitCode": 1, "reason": "Error", "finishedAt": jiff::Timestamp::now().to_string()}
            }))
            .map_err(|e| Error::Encoding { what: "a container state".into(), source: Box::new(e) })?,
        );
    }
    let patch = json!({"status": {"containerStatuses": statuses}});
    pods.patch_status(pod, &PatchParams::default(), &Patch::Strategic(&patch))
        .await
        .map(drop)
        .map_err(crate::error::kube(format!("cannot mark pod {pod} restarted")))
}

/// A plausible web shop log for `pod` of `tenant`: requests over the last `count` minutes.
fn generated_log(tenant: &SeededTenant, pod: &str, count: i64) -> String {
    const PATHS: [&str; 6] = ["/", "/cart", "/checkout", "/products?page=2", "/account", "/healthz"];
    let salt: i64 = pod.bytes().map(i64::from).sum();
    let mut lines = vec![(count * 60 + 5, format!("starting web {} for {} on :8080", tenant.version, tenant.domain))];
    lines.extend((0..count).rev().map(|minute| {
        let n = minute + salt;
        let (status, path) = if n % 13 == 0 { (500, "/checkout") } else { (200, PATHS[(n % 6) as usize]) };
        let millis = 20 + (n * 37) % 400;
        (minute * 60 + n % 50, format!("{status} GET {path} host={} {millis}ms", tenant.domain))
    }));
    cri_log(&lines)
}

/// What a crashed container logged before it exited.
fn crash_log(tenant: &SeededTenant) -> String {
    cri_log(&[
        (900, format!("starting web {} for {} on :8080", tenant.version, tenant.domain)),
        (899, "connecting to database db.internal:5432".to_owned()),
        (897, "FATAL: database connection refused (db.internal:5432); exiting".to_owned()),
    ])
}

fn write_files(dir: &Path, stem: &str, current: &str, previous: &str) -> Result<PodLogFiles> {
    std::fs::create_dir_all(dir).map_err(crate::error::io(format!("cannot create {}", dir.display())))?;
    let files =
        PodLogFiles { current: dir.join(format!("{stem}.log")), previous: dir.join(format!("{stem}.previous.log")) };
    for (path, text) in [(&files.current, current), (&files.previous, previous)] {
        std::fs::write(path, text).map_err(crate::error::io(format!("cannot write {}", path.display())))?;
    }
    Ok(files)
}

fn log_target(files: &PodLogFiles) -> serde_json::Value {
    json!({
        "logsFile": files.current.display().to_string(),
        "previousLogsFile": files.previous.display().to_string(),
        "follow": true,
    })
}

fn resource(kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("kwok.x-k8s.io", "v1alpha1", kind), plural)
}

async fn apply(api: Api<DynamicObject>, name: &str, object: serde_json::Value) -> Result<()> {
    api.patch(name, &PatchParams::apply(MANAGER).force(), &Patch::Apply(&object))
        .await
        .map(drop)
        .map_err(crate::error::kube(format!("cannot apply the log object {name}")))
}
