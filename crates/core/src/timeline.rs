//! A tenant's timeline: every thing known of it in one time-ordered list. While its cluster
//! answers: the spec revisions its history keeps (who, which action, why), the Events every
//! Tenantry writes on the namespace (so colleagues' actions show without a shared server),
//! Warning events, containers that ended and restarted, hand edits (managedFields: the writer
//! and when) and backups — all remembered in the cache. Always: what the cache remembers, the
//! health changes Tenantry saw and this machine's audit entries.

use std::collections::HashSet;

use k8s_openapi::api::core::v1::{Event, Pod};
use kube::Api;
use kube::api::ListParams;
use tenantry_model::{AuditEntry, BackupResult, Timeline, TimelineEntry, TimelineKind};

use crate::cache::Cache;
use crate::labels::FIELD_MANAGER;

/// Events read per tenant.
const EVENTS_READ: u32 = 500;
/// Health changes read per tenant.
const HEALTH_READ: u32 = 500;
/// How far apart (seconds) an audit entry and the Event the same action wrote may be.
const SAME_ACTION_SECONDS: i64 = 30;

/// What the cluster says of tenant `id` now (none while it does not answer).
pub struct LiveFacts {
    /// Its entries.
    pub entries: Vec<TimelineEntry>,
    /// What could not be read.
    pub notes: Vec<String>,
}

/// Reads what the cluster of `client` says of tenant `id`: revisions, Tenantry's and Warning
/// events, restarts and hand edits; backups come from `backups` (the detail's).
pub async fn live(client: &kube::Client, id: &str, backups: &[tenantry_model::BackupRun]) -> LiveFacts {
    let mut entries = Vec::new();
    let mut notes = Vec::new();
    match crate::actions::revisions(client, id).await {
        Ok(revisions) => {
            entries.extend(revisions.into_iter().filter(|(_, r)| !r.at.is_empty()).map(|(number, r)| TimelineEntry {
                at: r.at,
                kind: TimelineKind::Revision,
                title: format!(
                    "Revision {number}{}",
                    if r.action.is_empty() { String::new() } else { format!(": {}", r.action) }
                ),
                detail: if r.reason.is_empty() {
                    format!("version {}, {} pods", r.spec.version, r.spec.replicas)
                } else {
                    format!("why: {}", r.reason)
                },
                by: r.by,
            }))
        }
        Err(error) => notes.push(format!("the spec history cannot be read: {}", crate::error::chain(&error))),
    }
    match Api::<Event>::namespaced(client.clone(), id).list(&ListParams::default().limit(EVENTS_READ)).await {
        Ok(events) => entries.extend(events.items.iter().filter_map(event_entry)),
        Err(error) => notes.push(format!("events cannot be read: {}", crate::error::chain(&error))),
    }
    match Api::<Pod>::namespaced(client.clone(), id).list(&ListParams::default()).await {
        Ok(pods) => entries.extend(pods.items.iter().flat_map(restarts)),
        Err(error) => notes.push(format!("pods cannot be read: {}", crate::error::chain(&error))),
    }
    for (object, write) in crate::inventory::drift_sweep::namespace_writes(client, id).await {
        let Some(at) = write.at else { continue };
        entries.push(TimelineEntry::edit(&object, &write.path, &write.manager, &at));
    }
    entries.extend(backups.iter().filter_map(|backup| {
        let result = match backup.result {
            BackupResult::Succeeded => "succeeded",
            BackupResult::Failed => "failed",
            BackupResult::Running => "running",
        };
        Some(TimelineEntry {
            at: backup.finished.clone().or_else(|| backup.started.clone())?,
            kind: TimelineKind::Backup,
            title: format!("Backup {} {result}", backup.id),
            detail: String::new(),
            by: String::new(),
        })
    }));
    LiveFacts { entries, notes }
}

/// The timeline of tenant `id` of `cluster`: `live` facts (remembered in `cache`) merged with what
/// the cache remembers, the health changes and this machine's audit entries; newest first.
pub async fn assemble(cache: Option<&Cache>, cluster: &str, id: &str, live: Option<LiveFacts>) -> Timeline {
    let mut notes = Vec::new();
    let is_live = live.is_some();
    let mut entries = Vec::new();
    if let Some(live) = live {
        if let Some(cache) = cache
            && let Err(error) = cache.remember_timeline(cluster, id, &live.entries).await
        {
            tracing::warn!(error = %crate::error::chain(&error), "the timeline could not be remembered");
        }
        entries.extend(live.entries);
        notes.extend(live.notes);
    }
    if let Some(cache) = cache {
        match cache.timeline(cluster, id).await {
            Ok(remembered) => entries.extend(remembered),
            Err(error) => {
                notes.push(format!("the remembered timeline cannot be read: {}", crate::error::chain(&error)))
            }
        }
        match cache.history(cluster, id, HEALTH_READ).await {
            Ok(history) => entries.extend(history.into_iter().map(|t| TimelineEntry {
                at: t.at,
                kind: TimelineKind::Health,
                title: format!("Became {}", t.health.name()),
                detail: t.reason,
                by: String::new(),
            })),
            Err(error) => notes.push(format!("the health history cannot be read: {}", crate::error::chain(&error))),
        }
        match cache.audit_log().await {
            Ok(audit) => {
                entries.extend(audit.iter().filter(|a| a.context == cluster && a.tenant == id).map(audit_entry))
            }
            Err(error) => notes.push(format!("the audit log cannot be read: {}", crate::error::chain(&error))),
        }
    }
    Timeline { entries: merged(entries), live: is_live, notes }
}

/// `entries` newest first, each once; an action's own Event is left out when this machine's
/// audit already has that action.
pub fn merged(mut entries: Vec<TimelineEntry>) -> Vec<TimelineEntry> {
    let mut seen = HashSet::new();
    entries.retain(|e| seen.insert((e.at.clone(), e.kind, e.title.clone())));
    let audited: Vec<(jiff::Timestamp, String)> = entries
        .iter()
        .filter(|e| e.kind == TimelineKind::Action && !e.detail.starts_with(FROM_EVENT))
        .filter_map(|e| Some((e.at.parse().ok()?, action_of(&e.title))))
        .collect();
    entries.retain(|e| {
        if e.kind != TimelineKind::Action || !e.detail.starts_with(FROM_EVENT) {
            return true;
        }
        let Ok(at) = e.at.parse::<jiff::Timestamp>() else { return true };
        !audited.iter().any(|(when, action)| {
            *action == action_of(&e.title) && (at - *when).get_seconds().abs() <= SAME_ACTION_SECONDS
        })
    });
    entries.sort_by(|a, b| b.at.cmp(&a.at));
    entries
}

/// How the detail of an action read from the namespace's Events begins, to tell it from the
/// same action in this machine's audit log.
const FROM_EVENT: &str = "Event on the namespace: ";

/// The action named first in a timeline title ("scale succeeded" → "scale").
fn action_of(title: &str) -> String {
    title.split_whitespace().next().unwrap_or_default().to_lowercase()
}

fn audit_entry(entry: &AuditEntry) -> TimelineEntry {
    let result =
        serde_json::to_value(entry.result).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    let why = if entry.reason.is_empty() { String::new() } else { format!(" Why: {}", entry.reason) };
    TimelineEntry {
        at: entry.at.clone(),
        kind: TimelineKind::Action,
        title: format!("{} {result}", entry.action.name()),
        detail: format!("{}{why}", entry.message),
        by: format!("{} as {}", entry.os_user, entry.identity),
    }
}

/// An Event as a timeline entry: Tenantry's actions (its own component) and Warning events.
fn event_entry(event: &Event) -> Option<TimelineEntry> {
    let at = event
        .last_timestamp
        .as_ref()
        .map(|t| t.0.to_string())
        .or_else(|| event.event_time.as_ref().map(|t| t.0.to_string()))
        .or_else(|| event.metadata.creation_timestamp.as_ref().map(|t| t.0.to_string()))?;
    let message = event.message.clone().unwrap_or_default();
    let tenantry = event.reporting_component.as_deref() == Some(FIELD_MANAGER)
        || event.source.as_ref().and_then(|s| s.component.as_deref()) == Some(FIELD_MANAGER);
    if tenantry {
        let action = event.action.clone().unwrap_or_else(|| "action".to_owned());
        let result = if event.type_.as_deref() == Some("Warning") { "failed" } else { "succeeded" };
        return Some(TimelineEntry {
            at,
            kind: TimelineKind::Action,
            title: format!("{action} {result}"),
            detail: format!("{FROM_EVENT}{message}"),
            by: event.reporting_instance.clone().unwrap_or_default(),
        });
    }
    if event.type_.as_deref() != Some("Warning") {
        return None;
    }
    let object = format!(
        "{}/{}",
        event.involved_object.kind.as_deref().unwrap_or("object"),
        event.involved_object.name.as_deref().unwrap_or_default()
    );
    let count = event.count.filter(|c| *c > 1).map(|c| format!(" (×{c})")).unwrap_or_default();
    Some(TimelineEntry {
        at,
        kind: TimelineKind::Warning,
        title: format!("{}: {object}{count}", event.reason.as_deref().unwrap_or("Warning")),
        detail: message,
        by: event
            .reporting_component
            .clone()
            .or_else(|| event.source.as_ref().and_then(|s| s.component.clone()))
            .unwrap_or_default(),
    })
}

/// The containers of `pod` that ended and were restarted, at the time each last ended.
fn restarts(pod: &Pod) -> Vec<TimelineEntry> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let statuses = pod.status.as_ref().and_then(|s| s.container_statuses.as_ref());
    statuses
        .into_iter()
        .flatten()
        .filter(|c| c.restart_count > 0)
        .filter_map(|c| {
            let ended = c.last_state.as_ref()?.terminated.as_ref()?;
            let at = ended.finished_at.as_ref().map(|t| t.0.to_string())?;
            let reason = ended.reason.clone().unwrap_or_else(|| "ended".to_owned());
            Some(TimelineEntry {
                at,
                kind: TimelineKind::Restart,
                title: format!("{name}/{}: {reason}, exit code {}", c.name, ended.exit_code),
                detail: format!("restarted {} times; its log before the restart tells why", c.restart_count),
                by: String::new(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(at: &str, kind: TimelineKind, title: &str, detail: &str) -> TimelineEntry {
        TimelineEntry { at: at.into(), kind, title: title.into(), detail: detail.into(), by: String::new() }
    }

    #[test]
    fn entries_come_newest_first_once_and_an_audited_actions_event_is_left_out() {
        let entries = vec![
            entry("2026-11-30T10:00:00Z", TimelineKind::Revision, "Revision 1: create", ""),
            entry("2026-11-30T10:05:00Z", TimelineKind::Action, "scale succeeded", "Scaled"),
            entry("2026-11-30T10:05:02Z", TimelineKind::Action, "scale succeeded", "Event on the namespace: Scaled"),
            entry(
                "2026-11-30T11:00:00Z",
                TimelineKind::Action,
                "restart succeeded",
                "Event on the namespace: by a colleague",
            ),
            entry("2026-11-30T10:00:00Z", TimelineKind::Revision, "Revision 1: create", ""),
        ];
        let merged = merged(entries);
        let titles: Vec<&str> = merged.iter().map(|e| e.title.as_str()).collect();
        assert_eq!(titles, ["restart succeeded", "scale succeeded", "Revision 1: create"]);
        assert_eq!(merged[1].detail, "Scaled");
    }
}
