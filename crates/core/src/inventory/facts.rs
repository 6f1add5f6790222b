//! What the inventory reads from the watched objects: facts for the health rules, and the rows
//! of the tenant detail.

use tenantry_model::{BackupResult, BackupRun, PodSummary, WarningEvent};

use super::objects::{Autoscaler, BackupJob, ClusterEvent, TenantIngress, TenantNamespace, TenantPod, WatchedCronJob};
use crate::labels::BACKUP_LABEL;

/// When Tenantry last wrote the namespace (RFC 3339).
pub fn last_change(ns: &TenantNamespace) -> Option<String> {
    ns.metadata.written_by_tenantry.as_ref().map(|t| t.0.to_string())
}

/// Whether the CronJob's last scheduled run failed: it started a Job after its last success
/// and runs none now.
pub fn last_run_failed(cronjob: &WatchedCronJob) -> bool {
    let Some(runs) = cronjob.status.as_ref() else { return false };
    let running = runs.active.as_ref().is_some_and(|active| !active.is_empty());
    match (&runs.last_schedule_time, &runs.last_successful_time) {
        (Some(scheduled), Some(succeeded)) => !running && scheduled.0 > succeeded.0,
        (Some(_), None) => !running,
        (None, _) => false,
    }
}

/// One pod of `workload` as the detail lists it.
pub fn pod_summary(pod: &TenantPod, workload: Option<&str>) -> PodSummary {
    PodSummary {
        name: pod.name.clone(),
        phase: pod.phase.clone().unwrap_or_else(|| "Unknown".into()),
        ready: pod.facts.ready,
        restarts: pod.facts.restarts,
        node: pod.node.clone(),
        created: pod.created.as_ref().map(|t| t.0.to_string()),
        workload: workload.map(str::to_owned),
        containers: pod.containers.clone(),
    }
}

/// A backup Job as a backup run (`None` without the backup label).
pub fn backup_run(job: &BackupJob) -> Option<BackupRun> {
    let id = job.metadata.labels.get(BACKUP_LABEL)?.to_owned();
    let status = job.status.clone().unwrap_or_default();
    let condition = |kind: &str| status.conditions.iter().flatten().any(|c| c.type_ == kind && c.status == "True");
    let result = if condition("Complete") {
        BackupResult::Succeeded
    } else if condition("Failed") {
        BackupResult::Failed
    } else {
        BackupResult::Running
    };
    let started = status.start_time.or_else(|| job.metadata.created.clone());
    Some(BackupRun {
        id,
        started: started.map(|t| t.0.to_string()),
        finished: status.completion_time.map(|t| t.0.to_string()),
        result,
    })
}

/// A Warning event as the detail lists it.
pub fn warning_event(event: &ClusterEvent) -> WarningEvent {
    let object = &event.involved_object;
    let last = event
        .last_timestamp
        .as_ref()
        .map(|t| t.0.to_string())
        .or_else(|| event.event_time.as_ref().map(|t| t.0.to_string()))
        .or_else(|| event.metadata.created.as_ref().map(|t| t.0.to_string()));
    WarningEvent {
        object: format!("{}/{}", object.kind.as_deref().unwrap_or("?"), object.name.as_deref().unwrap_or("?")),
        reason: event.reason.clone().unwrap_or_default(),
        message: event.message.clone().unwrap_or_default(),
        count: event.count.unwrap_or(1),
        last_seen: last,
    }
}

/// The hosts an Ingress serves.
pub fn ingress_hosts(ingress: &TenantIngress) -> Vec<String> {
    ingress.spec.iter().flat_map(|s| s.rules.iter().flatten()).filter_map(|r| r.host.clone()).collect()
}

/// An HPA's bounds `(min, max)`.
pub fn autoscaling_bounds(hpa: &Autoscaler) -> Option<(i32, i32)> {
    let spec = hpa.spec.as_ref()?;
    Some((spec.min_replicas.unwrap_or(1), spec.max_replicas))
}
