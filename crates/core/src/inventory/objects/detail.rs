//! The kinds that fill in a tenant's detail: backup Jobs, CronJobs (the backup schedule, and
//! every CronJob's last run), autoscalers, Ingresses (the domains) and Warning events.

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::{Meta, slim_resource};

/// A backup run: a Job labelled with its backup id.
#[derive(Clone, Debug, Deserialize)]
pub struct BackupJob {
    /// Identity, labels (the backup id) and creation time.
    pub metadata: Meta,
    /// How far it got.
    pub status: Option<JobProgress>,
}
slim_resource!(BackupJob, NamespaceResourceScope, "batch", "v1", "Job", "jobs");

/// One condition of a Job.
#[derive(Clone, Debug, Deserialize)]
pub struct Condition {
    /// Its type, e.g. `Complete` or `Failed`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
}

/// The part of a Job's status the inventory reads.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobProgress {
    /// `Complete` or `Failed` once it ended.
    pub conditions: Option<Vec<Condition>>,
    /// When it started.
    pub start_time: Option<Time>,
    /// When it completed successfully.
    pub completion_time: Option<Time>,
}

/// A CronJob in any namespace (a tenant's backup schedule is one of them).
#[derive(Clone, Debug, Deserialize)]
pub struct WatchedCronJob {
    /// Identity and labels.
    pub metadata: Meta,
    /// Its schedule.
    pub spec: Option<Schedule>,
    /// When it last ran and last succeeded.
    pub status: Option<CronJobRuns>,
}
slim_resource!(WatchedCronJob, NamespaceResourceScope, "batch", "v1", "CronJob", "cronjobs");

/// The part of a CronJob's spec the inventory reads.
#[derive(Clone, Debug, Deserialize)]
pub struct Schedule {
    /// Cron expression, e.g. `0 3 * * *`.
    pub schedule: String,
}

/// The part of a CronJob's status the inventory reads.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CronJobRuns {
    /// When a Job was last started.
    pub last_schedule_time: Option<Time>,
    /// When a Job last completed successfully.
    pub last_successful_time: Option<Time>,
    /// The Jobs running now (only how many is read).
    pub active: Option<Vec<IgnoredAny>>,
}

/// A tenant's HorizontalPodAutoscaler.
#[derive(Clone, Debug, Deserialize)]
pub struct Autoscaler {
    /// Identity.
    pub metadata: Meta,
    /// Its bounds.
    pub spec: Option<AutoscalerBounds>,
}
slim_resource!(
    Autoscaler,
    NamespaceResourceScope,
    "autoscaling",
    "v2",
    "HorizontalPodAutoscaler",
    "horizontalpodautoscalers"
);

/// The replica bounds of an autoscaler.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoscalerBounds {
    /// Fewest pods (Kubernetes defaults it to 1).
    pub min_replicas: Option<i32>,
    /// Most pods.
    pub max_replicas: i32,
}

/// A tenant's Ingress.
#[derive(Clone, Debug, Deserialize)]
pub struct TenantIngress {
    /// Identity.
    pub metadata: Meta,
    /// Its rules.
    pub spec: Option<IngressRules>,
}
slim_resource!(TenantIngress, NamespaceResourceScope, "networking.k8s.io", "v1", "Ingress", "ingresses");

/// The rules of an Ingress.
#[derive(Clone, Debug, Deserialize)]
pub struct IngressRules {
    /// One rule per host.
    pub rules: Option<Vec<IngressRule>>,
}

/// One Ingress rule.
#[derive(Clone, Debug, Deserialize)]
pub struct IngressRule {
    /// The host it serves.
    pub host: Option<String>,
}

/// A Capsule `Tenant` (capsule.clastix.io/v1beta2): the customer of the namespaces labelled with
/// its name, and who owns it.
#[derive(Clone, Debug, Deserialize)]
pub struct CapsuleTenant {
    /// Its name (the value of the namespaces' `capsule.clastix.io/tenant` label).
    pub metadata: Meta,
    /// Its owners.
    pub spec: Option<CapsuleTenantSpec>,
}
slim_resource!(CapsuleTenant, k8s_openapi::ClusterResourceScope, "capsule.clastix.io", "v1beta2", "Tenant", "tenants");

/// The part of a Capsule `Tenant`'s spec the inventory reads.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CapsuleTenantSpec {
    /// Users, groups or service accounts that own the tenant.
    #[serde(default)]
    pub owners: Vec<CapsuleOwner>,
}

/// One owner of a Capsule `Tenant`.
#[derive(Clone, Debug, Deserialize)]
pub struct CapsuleOwner {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: Option<String>,
    /// Its name.
    pub name: Option<String>,
}

/// A core/v1 Event.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterEvent {
    /// Identity and creation time.
    pub metadata: Meta,
    /// The object it is about.
    pub involved_object: InvolvedObject,
    /// Machine-readable reason.
    pub reason: Option<String>,
    /// What happened.
    pub message: Option<String>,
    /// How often it happened.
    pub count: Option<i32>,
    /// When it last happened (older reporters).
    pub last_timestamp: Option<Time>,
    /// When it happened (newer reporters).
    pub event_time: Option<MicroTime>,
}
slim_resource!(ClusterEvent, NamespaceResourceScope, "", "v1", "Event", "events");

/// The object an event is about.
#[derive(Clone, Debug, Deserialize)]
pub struct InvolvedObject {
    /// Its kind.
    pub kind: Option<String>,
    /// Its name.
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cronjob_keeps_its_schedule_and_runs_and_not_its_template() {
        let cronjob: WatchedCronJob = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "backup", "namespace": "acme"},
            "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}}},
            "status": {"lastScheduleTime": "2026-11-01T03:00:00Z", "active": [{"kind": "Job", "name": "backup-1"}]}
        }))
        .expect("decodes");
        assert_eq!(cronjob.spec.map(|s| s.schedule).as_deref(), Some("0 3 * * *"));
        let runs = cronjob.status.expect("status");
        assert!(runs.last_schedule_time.is_some() && runs.last_successful_time.is_none());
        assert_eq!(runs.active.expect("active").len(), 1);
    }

    #[test]
    fn an_event_keeps_what_the_detail_lists() {
        let event: ClusterEvent = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "app.1", "namespace": "acme"},
            "involvedObject": {"kind": "Pod", "name": "app-1", "uid": "u"},
            "reason": "BackOff", "message": "Back-off restarting", "count": 4, "type": "Warning",
            "eventTime": null, "lastTimestamp": "2026-11-01T10:00:00Z"
        }))
        .expect("decodes");
        assert_eq!(event.involved_object.name.as_deref(), Some("app-1"));
        assert_eq!(event.count, Some(4));
        assert!(event.event_time.is_none());
    }

    #[test]
    fn a_capsule_tenant_keeps_its_owners() {
        let tenant: CapsuleTenant = serde_json::from_value(serde_json::json!({
            "apiVersion": "capsule.clastix.io/v1beta2", "kind": "Tenant",
            "metadata": {"name": "acme"},
            "spec": {"owners": [{"kind": "User", "name": "alice", "clusterRoles": ["admin"]}], "namespaceOptions": {"quota": 3}},
            "status": {"size": 1, "namespaces": ["acme-prod"]}
        }))
        .expect("decodes");
        let owners = tenant.spec.expect("spec").owners;
        assert_eq!((owners[0].kind.as_deref(), owners[0].name.as_deref()), (Some("User"), Some("alice")));
    }

    #[test]
    fn a_job_keeps_its_conditions_and_times() {
        let job: BackupJob = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "backup-1", "labels": {"tenantry.io/backup": "b1"}},
            "spec": {"template": {}},
            "status": {"conditions": [{"type": "Complete", "status": "True"}], "startTime": "2026-11-01T03:00:00Z"}
        }))
        .expect("decodes");
        let status = job.status.expect("status");
        assert_eq!(status.conditions.expect("conditions")[0].type_, "Complete");
        assert!(status.start_time.is_some() && status.completion_time.is_none());
    }
}
