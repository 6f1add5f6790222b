//! The `tenants`, `tenant_specs` and `health_transitions` tables: the last live summary of
//! each tenant, every spec revision seen, and each health change.

use sqlx::SqliteConnection;
use tenantry_model::{Freshness, Health, HealthTransition, TenantSummary};

use super::{Cache, CacheError, enum_from_text, enum_text};

/// A live tenant summary to remember, with its spec annotation (revision, JSON) if readable.
#[derive(Debug, Clone)]
pub struct SeenTenant {
    /// The summary as seen live (the fleet's own row).
    pub summary: std::sync::Arc<TenantSummary>,
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

/// One state of a tenant as the cache stores it: its row as JSON, with the health and reason its
/// history records.
#[derive(Debug, Clone)]
pub struct StoredState {
    /// The health, as its column holds it.
    pub health: String,
    /// Why the health is what it is.
    pub reason: String,
    /// The summary as JSON.
    pub summary: String,
    /// When it was seen (RFC 3339).
    pub at: String,
}

impl StoredState {
    /// `summary` as stored, seen at `at`.
    pub fn of(summary: &TenantSummary, at: &str) -> Result<Self, CacheError> {
        Ok(Self {
            health: enum_text(&summary.health)?,
            reason: summary.reason.clone(),
            summary: serde_json::to_string(summary)?,
            at: at.to_owned(),
        })
    }
}

/// Stores `state` as tenant `id`'s last live state on `cluster`, recording a health transition
/// when its health differs from the one stored.
pub async fn upsert(
    conn: &mut SqliteConnection,
    cluster: &str,
    id: &str,
    state: &StoredState,
) -> Result<(), CacheError> {
    let previous: Option<String> = sqlx::query_scalar("SELECT health FROM tenants WHERE cluster = ? AND id = ?")
        .bind(cluster)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    if previous.as_deref() != Some(state.health.as_str()) {
        sqlx::query("INSERT INTO health_transitions (cluster, id, at, health, reason) VALUES (?, ?, ?, ?, ?)")
            .bind(cluster)
            .bind(id)
            .bind(&state.at)
            .bind(&state.health)
            .bind(&state.reason)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query(
        "INSERT INTO tenants (cluster, id, summary, health, seen_at) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (cluster, id) DO UPDATE SET summary = excluded.summary, health = excluded.health, \
         seen_at = excluded.seen_at",
    )
    .bind(cluster)
    .bind(id)
    .bind(&state.summary)
    .bind(&state.health)
    .bind(&state.at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Keeps spec `revision` of tenant `id` on `cluster`, first seen at `at` (each revision once).
pub async fn remember_spec(
    conn: &mut SqliteConnection,
    (cluster, id): (&str, &str),
    (revision, spec): (u64, &str),
    at: &str,
) -> Result<(), CacheError> {
    sqlx::query("INSERT OR IGNORE INTO tenant_specs (cluster, id, revision, spec, seen_at) VALUES (?, ?, ?, ?, ?)")
        .bind(cluster)
        .bind(id)
        .bind(i64::try_from(revision).unwrap_or(i64::MAX))
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
