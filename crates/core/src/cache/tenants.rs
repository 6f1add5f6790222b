//! The `tenants`, `tenant_specs` and `health_transitions` tables: the last live summary of
//! each tenant, every spec revision seen, and each health change.

use sqlx::SqliteConnection;
use tenantry_model::{Freshness, Health, HealthTransition, TenantSummary};

use super::{Cache, CacheError, enum_from_text, enum_text};

/// A live tenant summary to remember, with its spec annotation (revision, JSON) if readable.
#[derive(Debug, Clone)]
pub struct SeenTenant {
    /// The summary as seen live.
    pub summary: TenantSummary,
    /// The spec revision and its JSON text.
    pub spec: Option<(u64, String)>,
}

impl Cache {
    /// Every cached tenant, marked cached as of the last time its cluster was seen live.
    pub async fn tenants(&self) -> Result<Vec<TenantSummary>, CacheError> {
        let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT t.summary, t.seen_at, s.last_live FROM tenants t \
             LEFT JOIN sync_state s ON s.context = t.cluster ORDER BY t.cluster, t.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(summary, seen_at, last_live)| {
                let mut summary: TenantSummary = serde_json::from_str(&summary)?;
                let as_of = last_live.filter(|live| *live > seen_at).unwrap_or(seen_at);
                summary.freshness = Freshness::Cached { as_of };
                Ok(summary)
            })
            .collect()
    }

    /// The health changes of tenant `id` on `cluster`, oldest first (at most the last `limit`).
    pub async fn history(&self, cluster: &str, id: &str, limit: u32) -> Result<Vec<HealthTransition>, CacheError> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT at, health, reason FROM (SELECT rowid, at, health, reason FROM health_transitions \
             WHERE cluster = ? AND id = ? ORDER BY at DESC, rowid DESC LIMIT ?) ORDER BY at, rowid",
        )
        .bind(cluster)
        .bind(id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(at, health, reason)| Ok(HealthTransition { at, health: enum_from_text::<Health>(&health)?, reason }))
            .collect()
    }

    /// The newest cached spec of tenant `id` on `cluster` as `(revision, JSON)`.
    pub async fn latest_spec(&self, cluster: &str, id: &str) -> Result<Option<(u64, String)>, CacheError> {
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT revision, spec FROM tenant_specs WHERE cluster = ? AND id = ? ORDER BY revision DESC LIMIT 1",
        )
        .bind(cluster)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(revision, spec)| (u64::try_from(revision).unwrap_or(0), spec)))
    }
}

/// Stores `seen` as the tenants' last live state at `at`, recording a health transition for
/// each tenant whose health differs from the stored one (or that is new).
pub async fn upsert(conn: &mut SqliteConnection, seen: &[SeenTenant], at: &str) -> Result<(), CacheError> {
    for tenant in seen {
        let summary = &tenant.summary;
        let health = enum_text(&summary.health)?;
        let previous: Option<String> = sqlx::query_scalar("SELECT health FROM tenants WHERE cluster = ? AND id = ?")
            .bind(&summary.cluster)
            .bind(&summary.id)
            .fetch_optional(&mut *conn)
            .await?;
        if previous.as_deref() != Some(health.as_str()) {
            sqlx::query("INSERT INTO health_transitions (cluster, id, at, health, reason) VALUES (?, ?, ?, ?, ?)")
                .bind(&summary.cluster)
                .bind(&summary.id)
                .bind(at)
                .bind(&health)
                .bind(&summary.reason)
                .execute(&mut *conn)
                .await?;
        }
        sqlx::query(
            "INSERT INTO tenants (cluster, id, summary, health, seen_at) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (cluster, id) DO UPDATE SET summary = excluded.summary, health = excluded.health, \
             seen_at = excluded.seen_at",
        )
        .bind(&summary.cluster)
        .bind(&summary.id)
        .bind(serde_json::to_string(summary)?)
        .bind(&health)
        .bind(at)
        .execute(&mut *conn)
        .await?;
        remember_spec(conn, tenant, at).await?;
    }
    Ok(())
}

/// Keeps the spec revision `tenant` was seen with (each revision once).
pub async fn remember_spec(conn: &mut SqliteConnection, tenant: &SeenTenant, at: &str) -> Result<(), CacheError> {
    let Some((revision, spec)) = &tenant.spec else { return Ok(()) };
    sqlx::query("INSERT OR IGNORE INTO tenant_specs (cluster, id, revision, spec, seen_at) VALUES (?, ?, ?, ?, ?)")
        .bind(&tenant.summary.cluster)
        .bind(&tenant.summary.id)
        .bind(i64::try_from(*revision).unwrap_or(i64::MAX))
        .bind(spec)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Forgets the summaries of tenants that no longer exist (their specs stay).
pub async fn remove(conn: &mut SqliteConnection, cluster: &str, ids: &[String]) -> Result<(), CacheError> {
    for id in ids {
        sqlx::query("DELETE FROM tenants WHERE cluster = ? AND id = ?")
            .bind(cluster)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
