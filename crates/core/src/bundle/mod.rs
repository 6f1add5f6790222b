//! The escalation bundle: one `.tar.gz` an engineer can read without a cluster — a README with
//! the story in short, the spec and its history, every object of the namespace (Secrets by
//! name and key names only), its events, the last lines of every container's log (and the
//! previous container's), the timeline, the health history and the tenant's audit entries.
//! Every text goes through [`crate::redact`] before it is written; no Secret value is read
//! into it.

mod objects;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use futures::StreamExt as _;
use tenantry_model::{AuditEntry, BundleReport, LogEvent, LogRequest, LogSource, TenantDetail, Timeline};

pub use objects::{LEFT_OUT, clean};

/// Lines of each container's log in the bundle.
pub const LOG_LINES: u32 = 500;

/// Why a bundle cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The archive cannot be written.
    #[error("cannot write the bundle {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// The fleet does not know the tenant.
    #[error("the tenant {0} is no longer known")]
    UnknownTenant(String),
}

impl BundleError {
    /// The error as the window shows it.
    pub fn to_ui(&self) -> tenantry_model::UiError {
        let kind = match self {
            Self::Write { .. } => tenantry_model::ErrorKind::Internal,
            Self::UnknownTenant(_) => tenantry_model::ErrorKind::Api,
        };
        crate::error::ui(kind, self.to_string(), self)
    }
}

/// What the bundle is made of, gathered by the fleet.
pub struct Sources {
    /// The tenant's cluster (context).
    pub cluster: String,
    /// The tenant's detail (row, workloads, pods, events, backups, health history).
    pub detail: TenantDetail,
    /// Its timeline.
    pub timeline: Timeline,
    /// This machine's audit entries about it.
    pub audit: Vec<AuditEntry>,
    /// Its spec revision and spec annotation, if readable.
    pub spec: Option<(u64, String)>,
}

/// Writes the bundle of `sources` into `folder`, reading the namespace's objects and logs
/// through `client` while its cluster answers; returns where it went and what is in it.
pub async fn write(
    client: Option<&kube::Client>,
    sources: Sources,
    folder: &Path,
) -> Result<BundleReport, BundleError> {
    let id = sources.detail.tenant.id.clone();
    let mut files: Vec<(String, String)> = Vec::new();
    let mut unreadable: Vec<String> = Vec::new();
    if let Some((revision, spec)) = &sources.spec {
        let spec: serde_json::Value = serde_json::from_str(spec).unwrap_or(serde_json::Value::String(spec.clone()));
        files.push(("spec.json".into(), json(&serde_json::json!({"revision": revision, "spec": spec}))));
    } else {
        unreadable.push("the spec: the tenant has none, or its cluster does not answer".into());
    }
    let identity = match client {
        Some(client) => {
            let (objects, cannot) = objects::dump(client, &id).await;
            files.extend(objects);
            unreadable.extend(cannot);
            match crate::actions::revisions(client, &id).await {
                Ok(history) => {
                    let entries: Vec<serde_json::Value> = history
                        .iter()
                        .map(|(n, r)| serde_json::json!({"revision": n, "at": r.at, "by": r.by, "action": r.action, "reason": r.reason, "spec": r.spec}))
                        .collect();
                    files.push(("history.json".into(), json(&entries)));
                }
                Err(error) => unreadable.push(format!("the spec history: {}", crate::error::chain(&error))),
            }
            files.extend(events(client, &id, &mut unreadable).await);
            files.extend(logs(client, &id, &sources.detail, &mut unreadable).await);
            crate::cluster::identity(client).await.ok().flatten()
        }
        None => {
            unreadable.push("the namespace's objects, events and logs: the cluster does not answer".into());
            None
        }
    };
    files.push(("timeline.txt".into(), timeline_text(&sources.timeline)));
    files.push(("timeline.json".into(), json(&sources.timeline)));
    files.push(("health-history.json".into(), json(&sources.detail.history)));
    files.push(("audit.json".into(), json(&sources.audit)));
    files.push(("detail.json".into(), json(&sources.detail)));
    let made_by = format!(
        "{} (cluster identity {})",
        whoami::username().unwrap_or_else(|_| "unknown".into()),
        identity.as_deref().unwrap_or("unknown")
    );
    let readme = readme(&sources, &made_by, &files, &unreadable);
    files.insert(0, ("README.md".into(), readme));

    let path = folder.join(format!(
        "tenantry-{}-{}-{}.tar.gz",
        objects::safe(&sources.cluster),
        objects::safe(&id),
        jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S")
    ));
    let names: Vec<String> = files.iter().map(|(name, _)| name.clone()).collect();
    archive(&path, &objects::safe(&id), files).map_err(|source| BundleError::Write { path: path.clone(), source })?;
    Ok(BundleReport { path: path.display().to_string(), files: names, unreadable })
}

/// The namespace's events, oldest first, as YAML (`events.yaml`).
async fn events(client: &kube::Client, id: &str, unreadable: &mut Vec<String>) -> Vec<(String, String)> {
    let api: kube::Api<k8s_openapi::api::core::v1::Event> = kube::Api::namespaced(client.clone(), id);
    match api.list(&kube::api::ListParams::default()).await {
        Ok(list) => {
            let mut events: Vec<serde_json::Value> = list
                .items
                .iter()
                .map(|e| {
                    serde_json::json!({
                        "at": e.last_timestamp.as_ref().map(|t| t.0.to_string()).or_else(|| e.event_time.as_ref().map(|t| t.0.to_string())),
                        "type": e.type_, "reason": e.reason, "count": e.count,
                        "object": format!("{}/{}", e.involved_object.kind.as_deref().unwrap_or_default(), e.involved_object.name.as_deref().unwrap_or_default()),
                        "message": e.message, "by": e.reporting_component.clone().or_else(|| e.source.as_ref().and_then(|s| s.component.clone())),
                    })
                })
                .collect();
            events.sort_by(|a, b| a["at"].as_str().cmp(&b["at"].as_str()));
            vec![("events.yaml".into(), serde_yaml::to_string(&events).unwrap_or_default())]
        }
        Err(error) => {
            unreadable.push(format!("events: {}", crate::error::chain(&error)));
            Vec::new()
        }
    }
}

/// The last [`LOG_LINES`] of every started container's log, and of the previous container where
/// it restarted (`logs/<pod>/<container>.log`, `….previous.log`).
async fn logs(
    client: &kube::Client,
    id: &str,
    detail: &TenantDetail,
    unreadable: &mut Vec<String>,
) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for pod in &detail.pods {
        for container in &pod.containers {
            let source = LogSource { pod: pod.name.clone(), container: container.clone() };
            for previous in [false, true] {
                if previous && pod.restarts == 0 {
                    continue;
                }
                let request = LogRequest { tail: Some(LOG_LINES), previous, ..LogRequest::default() };
                let events: Vec<LogEvent> =
                    crate::logs::read(client.clone(), id, vec![source.clone()], &request).collect().await;
                let mut text = String::new();
                for event in events {
                    match event {
                        LogEvent::Lines { lines } => {
                            for line in lines {
                                text.push_str(&format!("{} {}\n", line.at, line.text));
                            }
                        }
                        LogEvent::Unreadable { message, .. } => {
                            unreadable.push(format!(
                                "the {}log of {}/{}: {message}",
                                if previous { "previous " } else { "" },
                                pod.name,
                                container
                            ));
                        }
                        LogEvent::Started { .. } | LogEvent::Ended => {}
                    }
                }
                let suffix = if previous { ".previous.log" } else { ".log" };
                files.push((format!("logs/{}/{}{suffix}", objects::safe(&pod.name), objects::safe(container)), text));
            }
        }
    }
    files
}

fn timeline_text(timeline: &Timeline) -> String {
    timeline
        .entries
        .iter()
        .map(|e| {
            let by = if e.by.is_empty() { String::new() } else { format!(" (by {})", e.by) };
            let detail = if e.detail.is_empty() { String::new() } else { format!("\n    {}", e.detail) };
            format!("{}  {:<9} {}{by}{detail}\n", e.at, e.kind.name(), e.title)
        })
        .collect()
}

/// The bundle's README: the story in short, then what each file holds and what was not read.
fn readme(sources: &Sources, made_by: &str, files: &[(String, String)], unreadable: &[String]) -> String {
    let t = &sources.detail.tenant;
    let mut text = format!(
        "# Escalation bundle: {id} on {cluster}\n\n\
         - Tenant: {id} ({name}), customer {customer}\n- Cluster: {cluster}\n- Health: {health}: {reason}\n\
         - Pods: {ready}/{desired} ready, {restarts} restarts\n- Version {version}, plan {plan}, blueprint {blueprint}, revision {revision}\n\
         - Domains: {domains}\n- Written: {at} by {made_by}\n\n",
        id = t.id,
        name = t.display_name,
        customer = t.customer,
        cluster = sources.cluster,
        health = t.health.name(),
        reason = t.reason,
        ready = t.ready,
        desired = t.desired,
        restarts = t.restarts,
        version = t.version,
        plan = t.plan,
        blueprint = if t.blueprint.is_empty() { "none" } else { t.blueprint.as_str() },
        revision = t.revision,
        domains = t.domains.join(", "),
        at = crate::labels::now(),
    );
    if let Some(drift) = &t.drift {
        text.push_str(&format!("Drift: {drift}\n\n"));
    }
    text.push_str("## Latest\n\n");
    for entry in sources.timeline.entries.iter().take(10) {
        text.push_str(&format!("- {} {}: {}\n", entry.at, entry.kind.name(), entry.title));
    }
    text.push_str(&format!(
        "\n## Files\n\nSecrets appear by name and key names only; their values are never read into this bundle \
         (each shows `{LEFT_OUT}`).\n\n"
    ));
    for (name, _) in files {
        text.push_str(&format!("- {name}\n"));
    }
    if !unreadable.is_empty() {
        text.push_str("\n## Not included\n\n");
        for what in unreadable {
            text.push_str(&format!("- {what}\n"));
        }
    }
    text
}

/// Writes `files` under folder `top` into a gzipped tar at `path` (a temporary file renamed
/// into place, so a half-written bundle never has the final name), every text through
/// [`crate::redact::text`].
fn archive(path: &Path, top: &str, files: Vec<(String, String)>) -> std::io::Result<()> {
    let folder = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder)?;
    let temp = tempfile::NamedTempFile::new_in(folder)?;
    {
        let gzip = flate2::write::GzEncoder::new(temp.as_file(), flate2::Compression::default());
        let mut tar = tar::Builder::new(gzip);
        for (name, text) in files {
            let text = crate::redact::text(&text).into_owned();
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(u64::try_from(jiff::Timestamp::now().as_second()).unwrap_or(0));
            header.set_cksum();
            tar.append_data(&mut header, format!("{top}/{name}"), text.as_bytes())?;
        }
        tar.into_inner()?.finish()?.flush()?;
    }
    temp.persist(path).map(drop).map_err(|e| e.error)
}

/// `value` as indented JSON.
fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}
