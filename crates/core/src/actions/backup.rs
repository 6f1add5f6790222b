//! Backups and restores of a tenant's data. A backup now is a Job made from the tenant's backup
//! CronJob's template (as `kubectl create job --from=cronjob/…` makes it), labelled with the
//! backup id. A restore runs the blueprint's restore Job for a completed backup while the app is
//! scaled to zero.

use std::time::Duration;

use futures::StreamExt as _;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use kube::ResourceExt as _;
use kube::api::{Api, ListParams};
use kube::runtime::{WatchStreamExt as _, watcher};
use serde_json::{Value, json};

use super::converge::ConvergeError;
use super::session::WATCH_SECONDS;
use crate::labels::{BACKUP_LABEL, MANAGED_BY, RESTORE_ATTEMPT_ANNOTATION, TENANT_LABEL};

/// Why a backup or restore cannot start.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The backup id is not a DNS label of at most 50 characters.
    #[error("backup id {0:?} must be lower-case letters, digits and '-', at most 50 characters")]
    BadId(String),
    /// The tenant has no backup CronJob to take the Job template from.
    #[error("tenant {0} has no backup schedule; turn backups on first")]
    NoSchedule(String),
    /// No completed backup has this id.
    #[error("tenant {tenant} has no completed backup {backup}")]
    NoBackup {
        /// The tenant.
        tenant: String,
        /// The backup asked for.
        backup: String,
    },
    /// Reading the cluster failed.
    #[error("cannot read the backups of {0}")]
    Read(String, #[source] kube::Error),
}

/// Checks a backup id (it becomes part of a Job name).
pub fn check_id(backup: &str) -> Result<(), BackupError> {
    let label_ok = !backup.is_empty()
        && backup.len() <= 50
        && backup.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && backup.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && backup.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if label_ok { Ok(()) } else { Err(BackupError::BadId(backup.to_owned())) }
}

/// The Job that takes backup `backup` of tenant `id` now, from its backup CronJob's template:
/// the one Tenantry manages, else (a tenant Tenantry did not create) one named like a backup.
pub async fn backup_job(client: &kube::Client, id: &str, backup: &str) -> Result<Value, BackupError> {
    check_id(backup)?;
    let cronjobs = Api::<CronJob>::namespaced(client.clone(), id)
        .list(&ListParams::default())
        .await
        .map_err(|e| BackupError::Read(id.to_owned(), e))?;
    let is_managed = |c: &CronJob| c.labels().get(MANAGED_BY.0).map(String::as_str) == Some(MANAGED_BY.1);
    let chosen = cronjobs.items.iter().find(|c| is_managed(c)).or_else(|| {
        cronjobs.items.iter().find(|c| c.metadata.name.as_deref().is_some_and(|name| name.contains("backup")))
    });
    let template = chosen
        .and_then(|c| c.spec.clone())
        .map(|s| s.job_template)
        .ok_or_else(|| BackupError::NoSchedule(id.to_owned()))?;
    let mut labels = template.metadata.and_then(|m| m.labels).unwrap_or_default();
    labels.insert(BACKUP_LABEL.into(), backup.into());
    labels.insert(MANAGED_BY.0.into(), MANAGED_BY.1.into());
    labels.insert(TENANT_LABEL.into(), id.into());
    Ok(json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": format!("backup-{backup}"),
            "namespace": id,
            "labels": labels,
            "annotations": {"cronjob.kubernetes.io/instantiate": "manual"},
        },
        "spec": template.spec,
    }))
}

/// Checks that tenant `id` has a completed backup `backup`.
pub async fn completed(client: &kube::Client, id: &str, backup: &str) -> Result<(), BackupError> {
    check_id(backup)?;
    let jobs = Api::<Job>::namespaced(client.clone(), id)
        .list(&ListParams::default().labels(BACKUP_LABEL))
        .await
        .map_err(|e| BackupError::Read(id.to_owned(), e))?;
    let found = jobs.items.iter().any(|job| {
        let named = job.metadata.labels.as_ref().and_then(|l| l.get(BACKUP_LABEL)).map(String::as_str);
        let id_of_job = match named {
            Some("") | None => job.metadata.name.as_deref(),
            other => other,
        };
        id_of_job == Some(backup) && finished(job) == Some(true)
    });
    if found { Ok(()) } else { Err(BackupError::NoBackup { tenant: id.to_owned(), backup: backup.to_owned() }) }
}

/// `Some(true)` once the Job completed, `Some(false)` once it failed, `None` while it runs.
fn finished(job: &Job) -> Option<bool> {
    let conditions = job.status.as_ref()?.conditions.as_ref()?;
    let holds = |kind: &str| conditions.iter().any(|c| c.type_ == kind && c.status == "True");
    if holds("Complete") {
        Some(true)
    } else if holds("Failed") {
        Some(false)
    } else {
        None
    }
}

/// Waits until Job `name` in namespace `id` completed; a failed Job, or one still running after
/// `timeout`, is an error with the reason.
pub async fn job_completed(
    client: &kube::Client,
    id: &str,
    name: &str,
    timeout: Duration,
) -> Result<(), ConvergeError> {
    let api: Api<Job> = Api::namespaced(client.clone(), id);
    let config = watcher::Config::default().fields(&format!("metadata.name={name}")).timeout(WATCH_SECONDS);
    let wait = async {
        let stream = watcher(api, config).default_backoff().applied_objects();
        futures::pin_mut!(stream);
        while let Some(event) = stream.next().await {
            match event {
                Ok(job) => match finished(&job) {
                    Some(true) => return Ok(()),
                    Some(false) => {
                        let reason = failure(&job).unwrap_or_else(|| "it failed".into());
                        return Err(ConvergeError::Failed { what: format!("Job {name}"), reason });
                    }
                    None => {}
                },
                Err(error) => tracing::debug!(%error, "job watch interrupted; retrying"),
            }
        }
        Ok(())
    };
    match tokio::time::timeout(timeout, wait).await {
        Ok(result) => result,
        Err(_) => Err(ConvergeError::Timeout { timeout, reason: format!("Job {name} is still running") }),
    }
}

/// Whether restore Job `name` in namespace `id` exists but cannot serve restore `attempt`: it
/// was made by another attempt (an earlier restore from the same backup) or it failed. Such a
/// Job is replaced, so a new restore always restores and a resumed one retries.
pub async fn restore_job_stale(
    client: &kube::Client,
    id: &str,
    name: &str,
    attempt: &str,
) -> Result<bool, BackupError> {
    let api: Api<Job> = Api::namespaced(client.clone(), id);
    let found =
        api.get_opt(name).await.map_err(|source| BackupError::Read(format!("cannot read Job {name}"), source))?;
    Ok(found.is_some_and(|job| {
        let made_by = job.metadata.annotations.as_ref().and_then(|a| a.get(RESTORE_ATTEMPT_ANNOTATION));
        made_by.map(String::as_str) != Some(attempt) || finished(&job) == Some(false)
    }))
}

/// Deletes Job `name` in namespace `id` with its pods and waits until it is gone.
pub async fn delete_job(client: &kube::Client, id: &str, name: &str, timeout: Duration) -> Result<(), BackupError> {
    let api: Api<Job> = Api::namespaced(client.clone(), id);
    let failed = |source| BackupError::Read(format!("cannot delete Job {name}"), source);
    match api.delete(name, &kube::api::DeleteParams::foreground()).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 404 => return Ok(()),
        Err(source) => return Err(failed(source)),
    }
    let gone = async {
        while api.get_opt(name).await.map_err(failed)?.is_some() {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Ok(())
    };
    tokio::time::timeout(timeout, gone).await.unwrap_or(Ok(()))
}

fn failure(job: &Job) -> Option<String> {
    let conditions = job.status.as_ref()?.conditions.as_ref()?;
    conditions.iter().find(|c| c.type_ == "Failed" && c.status == "True").and_then(|c| c.message.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_ids_become_job_names() {
        assert!(check_id("manual-20261121-101500").is_ok());
        for bad in ["", "Manual", "-x", "x-", "a_b", &"a".repeat(51)] {
            assert!(check_id(bad).is_err(), "{bad:?}");
        }
    }
}
