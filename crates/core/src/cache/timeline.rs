//! The `timeline`, `looked` and `looked_at` tables: what tenants' timelines showed while their
//! clusters answered (bounded per tenant), and the fleet as it stood while the window was last
//! open.

use tenantry_model::{TimelineEntry, TimelineKind};

use super::{Cache, CacheError, enum_from_text, enum_text};

/// Timeline entries kept per tenant; older ones are dropped.
const KEPT: i64 = 500;

/// One tenant's state as the window last saw it: `(cluster, id, health, version, revision)`.
pub type LookedRow = (String, String, String, String, u64);

impl Cache {
    /// The timeline entries remembered for tenant `id` of `cluster`, newest first.
    pub async fn timeline(&self, cluster: &str, id: &str) -> Result<Vec<TimelineEntry>, CacheError> {
        let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT at, kind, title, detail, by FROM timeline WHERE cluster = ? AND id = ? ORDER BY at DESC",
        )
        .bind(cluster)
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(at, kind, title, detail, by)| {
                Ok(TimelineEntry { at, kind: enum_from_text::<TimelineKind>(&kind)?, title, detail, by })
            })
            .collect()
    }

    /// Remembers `entries` of tenant `id` of `cluster` (an entry seen again is kept once),
    /// keeping the newest [`KEPT`].
    pub async fn remember_timeline(
        &self,
        cluster: &str,
        id: &str,
        entries: &[TimelineEntry],
    ) -> Result<(), CacheError> {
        if self.read_only.is_some() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for entry in entries {
            sqlx::query(
                "INSERT INTO timeline (cluster, id, at, kind, title, detail, by) VALUES (?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (cluster, id, at, kind, title) DO UPDATE SET detail = excluded.detail, by = excluded.by",
            )
            .bind(cluster)
            .bind(id)
            .bind(&entry.at)
            .bind(enum_text(&entry.kind)?)
            .bind(&entry.title)
            .bind(&entry.detail)
            .bind(&entry.by)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "DELETE FROM timeline WHERE cluster = ? AND id = ? AND rowid NOT IN \
             (SELECT rowid FROM timeline WHERE cluster = ? AND id = ? ORDER BY at DESC LIMIT ?)",
        )
        .bind(cluster)
        .bind(id)
        .bind(cluster)
        .bind(id)
        .bind(KEPT)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The fleet as the window last saw it, and when; `None` the first time.
    pub async fn looked(&self) -> Result<Option<(String, Vec<LookedRow>)>, CacheError> {
        let at: Option<(String,)> = sqlx::query_as("SELECT at FROM looked_at").fetch_optional(&self.pool).await?;
        let Some((at,)) = at else { return Ok(None) };
        let rows: Vec<(String, String, String, String, i64)> =
            sqlx::query_as("SELECT cluster, id, health, version, revision FROM looked").fetch_all(&self.pool).await?;
        let rows = rows
            .into_iter()
            .map(|(cluster, id, health, version, revision)| {
                (cluster, id, health, version, u64::try_from(revision).unwrap_or(0))
            })
            .collect();
        Ok(Some((at, rows)))
    }

    /// Remembers `rows` as the fleet the window sees at `at` (replacing the last).
    pub async fn remember_looked(&self, at: &str, rows: &[LookedRow]) -> Result<(), CacheError> {
        if self.read_only.is_some() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM looked").execute(&mut *tx).await?;
        for (cluster, id, health, version, revision) in rows {
            sqlx::query("INSERT INTO looked (cluster, id, health, version, revision) VALUES (?, ?, ?, ?, ?)")
                .bind(cluster)
                .bind(id)
                .bind(health)
                .bind(version)
                .bind(i64::try_from(*revision).unwrap_or(i64::MAX))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO looked_at (only_row, at) VALUES (1, ?) ON CONFLICT (only_row) DO UPDATE SET at = excluded.at",
        )
        .bind(at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
