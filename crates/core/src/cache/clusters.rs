//! The `clusters` and `sync_state` tables: every cluster watched and how its watches stood.

use sqlx::SqliteConnection;
use tenantry_model::{ClusterStatus, ConnectionState};

use super::{Cache, CacheError, enum_from_text, enum_text};

/// A `sync_state` row: context, state, last error (JSON), last live, notes (JSON).
type SyncRow = (String, String, Option<String>, Option<String>, String);

impl Cache {
    /// The last written status of every cluster, by context.
    pub async fn clusters(&self) -> Result<Vec<ClusterStatus>, CacheError> {
        let rows: Vec<SyncRow> =
            sqlx::query_as("SELECT context, state, last_error, last_live, notes FROM sync_state ORDER BY context")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(context, state, last_error, last_live, notes)| {
                Ok(ClusterStatus {
                    context,
                    state: enum_from_text::<ConnectionState>(&state)?,
                    last_error: last_error.map(|e| serde_json::from_str(&e)).transpose()?,
                    last_live,
                    notes: serde_json::from_str(&notes)?,
                })
            })
            .collect()
    }
}

/// Records `status` as the cluster's current sync state at `at` (a live cluster was live at `at`).
pub async fn record(conn: &mut SqliteConnection, status: &ClusterStatus, at: &str) -> Result<(), CacheError> {
    sqlx::query("INSERT OR IGNORE INTO clusters (context, first_seen) VALUES (?, ?)")
        .bind(&status.context)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    let state = enum_text(&status.state)?;
    let last_live = if status.state == ConnectionState::Live { Some(at) } else { status.last_live.as_deref() };
    let last_error = status.last_error.as_ref().map(serde_json::to_string).transpose()?;
    sqlx::query(
        "INSERT INTO sync_state (context, state, last_error, last_live, notes, updated_at) VALUES (?, ?, ?, ?, ?, ?) \
         ON CONFLICT (context) DO UPDATE SET state = excluded.state, last_error = excluded.last_error, \
         last_live = COALESCE(excluded.last_live, sync_state.last_live), notes = excluded.notes, \
         updated_at = excluded.updated_at",
    )
    .bind(&status.context)
    .bind(state)
    .bind(last_error)
    .bind(last_live)
    .bind(serde_json::to_string(&status.notes)?)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
