//! The `audit` table: one row per action, refused ones included: who (OS user and Kubernetes
//! identity), what, on which tenant, the revisions before and after, the result and duration.

use tenantry_model::AuditEntry;

use super::{Cache, CacheError, enum_from_text, enum_text};

/// An `audit` row, its columns by name.
#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: String,
    os_user: String,
    identity: String,
    context: String,
    tenant: String,
    action: String,
    revision_before: i64,
    revision_after: i64,
    result: String,
    duration_ms: i64,
    message: String,
    reason: String,
}

impl AuditRow {
    /// The entry the row stores.
    fn into_entry(self) -> Result<AuditEntry, CacheError> {
        Ok(AuditEntry {
            id: self.id,
            at: self.at,
            os_user: self.os_user,
            identity: self.identity,
            context: self.context,
            tenant: self.tenant,
            action: enum_from_text(&self.action)?,
            revision_before: u64::try_from(self.revision_before).unwrap_or_default(),
            revision_after: u64::try_from(self.revision_after).unwrap_or_default(),
            result: enum_from_text(&self.result)?,
            duration_ms: u64::try_from(self.duration_ms).unwrap_or_default(),
            message: self.message,
            reason: self.reason,
        })
    }
}

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
        rows.into_iter().map(AuditRow::into_entry).collect()
    }
}
