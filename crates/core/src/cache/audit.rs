//! The `audit` table: one row per action, refused ones included: who (OS user and Kubernetes
//! identity), what, on which tenant, the revisions before and after, the result and duration.

use tenantry_model::AuditEntry;

use super::{Cache, CacheError, enum_from_text, enum_text};

/// An `audit` row.
type AuditRow = (i64, String, String, String, String, String, String, i64, i64, String, i64, String, String);

impl Cache {
    /// Appends `entry` (its id is assigned) and returns the id.
    pub async fn audit_add(&self, entry: &AuditEntry) -> Result<i64, CacheError> {
        self.writable()?;
        let id = sqlx::query_scalar(
            "INSERT INTO audit (at, os_user, identity, context, tenant, action, revision_before, revision_after, \
             result, duration_ms, message, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&entry.at)
        .bind(&entry.os_user)
        .bind(&entry.identity)
        .bind(&entry.context)
        .bind(&entry.tenant)
        .bind(enum_text(&entry.action)?)
        .bind(i64::try_from(entry.revision_before).unwrap_or(i64::MAX))
        .bind(i64::try_from(entry.revision_after).unwrap_or(i64::MAX))
        .bind(enum_text(&entry.result)?)
        .bind(i64::try_from(entry.duration_ms).unwrap_or(i64::MAX))
        .bind(&entry.message)
        .bind(&entry.reason)
        .fetch_one(&self.records)
        .await?;
        Ok(id)
    }

    /// Every audit entry, newest first.
    pub async fn audit_log(&self) -> Result<Vec<AuditEntry>, CacheError> {
        let rows: Vec<AuditRow> = sqlx::query_as(
            "SELECT id, at, os_user, identity, context, tenant, action, revision_before, revision_after, result, \
             duration_ms, message, reason FROM audit ORDER BY id DESC",
        )
        .fetch_all(&self.records)
        .await?;
        rows.into_iter()
            .map(
                |(
                    id,
                    at,
                    os_user,
                    identity,
                    context,
                    tenant,
                    action,
                    before,
                    after,
                    result,
                    duration,
                    message,
                    reason,
                )| {
                    Ok(AuditEntry {
                        id,
                        at,
                        os_user,
                        identity,
                        context,
                        tenant,
                        action: enum_from_text(&action)?,
                        revision_before: u64::try_from(before).unwrap_or_default(),
                        revision_after: u64::try_from(after).unwrap_or_default(),
                        result: enum_from_text(&result)?,
                        duration_ms: u64::try_from(duration).unwrap_or_default(),
                        message,
                        reason,
                    })
                },
            )
            .collect()
    }
}
