//! The `rollouts` and `rollout_tenants` tables of the records file: every rollout with each
//! tenant's frozen change and state, written as it changes.

use tenantry_model::{Change, Rollout, RolloutSettings, RolloutState, RolloutTenant, TenantState};

use super::{Cache, CacheError, JournalOwner, enum_from_text, enum_text};

/// A rollout's row: id, title, reason, by, created, settings, state, message.
type RolloutRow = (i64, String, String, String, String, String, String, String);
/// A tenant's row.
type TenantRow = (String, String, i64, String, i64, String, String, String, String, Option<String>, Option<String>);

impl Cache {
    /// Records `rollout` (its id is ignored) with its tenants; returns its id.
    pub async fn rollout_create(&self, rollout: &Rollout) -> Result<i64, CacheError> {
        self.writable()?;
        let mut tx = self.records.begin().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO rollouts (title, reason, by, created, settings, state, message) VALUES (?, ?, ?, ?, ?, ?, ?) \
             RETURNING id",
        )
        .bind(&rollout.title)
        .bind(&rollout.reason)
        .bind(&rollout.by)
        .bind(&rollout.created)
        .bind(serde_json::to_string(&rollout.settings)?)
        .bind(enum_text(&rollout.state)?)
        .bind(&rollout.message)
        .fetch_one(&mut *tx)
        .await?;
        for (position, t) in rollout.tenants.iter().enumerate() {
            sqlx::query(
                "INSERT INTO rollout_tenants (rollout, position, context, tenant, wave, change, revision_before, before, \
                 after, state, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(id)
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .bind(&t.context)
            .bind(&t.tenant)
            .bind(i64::try_from(t.wave).unwrap_or(i64::MAX))
            .bind(serde_json::to_string(&t.change)?)
            .bind(i64::try_from(t.revision_before).unwrap_or(i64::MAX))
            .bind(&t.before)
            .bind(&t.after)
            .bind(enum_text(&t.state)?)
            .bind(&t.message)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Rollout `id` with every tenant, `None` when there is none.
    pub async fn rollout(&self, id: i64) -> Result<Option<Rollout>, CacheError> {
        let row: Option<RolloutRow> = sqlx::query_as(
            "SELECT id, title, reason, by, created, settings, state, message FROM rollouts WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.records)
        .await?;
        let Some((id, title, reason, by, created, settings, state, message)) = row else { return Ok(None) };
        let rows: Vec<TenantRow> = sqlx::query_as(
            "SELECT context, tenant, wave, change, revision_before, before, after, state, message, started, finished \
             FROM rollout_tenants WHERE rollout = ? ORDER BY position",
        )
        .bind(id)
        .fetch_all(&self.records)
        .await?;
        let tenants = rows
            .into_iter()
            .map(
                |(context, tenant, wave, change, revision_before, before, after, state, message, started, finished)| {
                    Ok(RolloutTenant {
                        context,
                        tenant,
                        wave: usize::try_from(wave).unwrap_or(0),
                        change: serde_json::from_str::<Change>(&change)?,
                        revision_before: u64::try_from(revision_before).unwrap_or(0),
                        before,
                        after,
                        state: enum_from_text::<TenantState>(&state)?,
                        message,
                        started,
                        finished,
                    })
                },
            )
            .collect::<Result<Vec<_>, CacheError>>()?;
        Ok(Some(Rollout {
            id,
            title,
            reason,
            by,
            created,
            settings: serde_json::from_str::<RolloutSettings>(&settings)?,
            state: enum_from_text::<RolloutState>(&state)?,
            message,
            tenants,
        }))
    }

    /// Every rollout's id, newest first.
    pub async fn rollout_ids(&self) -> Result<Vec<i64>, CacheError> {
        let rows: Vec<(i64,)> =
            sqlx::query_as("SELECT id FROM rollouts ORDER BY id DESC").fetch_all(&self.records).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Where rollout `id` stands (another process may have paused or aborted it).
    pub async fn rollout_state(&self, id: i64) -> Result<Option<RolloutState>, CacheError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT state FROM rollouts WHERE id = ?").bind(id).fetch_optional(&self.records).await?;
        row.map(|(state,)| enum_from_text::<RolloutState>(&state)).transpose()
    }

    /// Sets rollout `id`'s state and message.
    pub async fn rollout_set_state(&self, id: i64, state: RolloutState, message: &str) -> Result<(), CacheError> {
        self.writable()?;
        sqlx::query("UPDATE rollouts SET state = ?, message = ? WHERE id = ?")
            .bind(enum_text(&state)?)
            .bind(message)
            .bind(id)
            .execute(&self.records)
            .await?;
        Ok(())
    }

    /// Sets the state of the tenant at `position` of rollout `id`, with when it started or ended.
    pub async fn rollout_set_tenant(
        &self,
        id: i64,
        position: usize,
        state: TenantState,
        message: &str,
        at: &str,
    ) -> Result<(), CacheError> {
        self.writable()?;
        let (started, finished) = match state {
            TenantState::Running => (Some(at), None),
            TenantState::Queued | TenantState::Waiting => (None, None),
            _ => (None, Some(at)),
        };
        sqlx::query(
            "UPDATE rollout_tenants SET state = ?, message = ?, started = COALESCE(?, started), finished = ? \
             WHERE rollout = ? AND position = ?",
        )
        .bind(enum_text(&state)?)
        .bind(message)
        .bind(started)
        .bind(finished)
        .bind(id)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .execute(&self.records)
        .await?;
        Ok(())
    }

    /// Who runs rollout `id` and its last heartbeat (RFC 3339), `None` when there is none.
    pub async fn rollout_owner(&self, id: i64) -> Result<Option<(JournalOwner, String)>, CacheError> {
        let row: Option<(String, i64, String, String)> =
            sqlx::query_as("SELECT owner_host, owner_pid, owner_started, heartbeat FROM rollouts WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.records)
                .await?;
        Ok(row.map(|(host, pid, started, heartbeat)| {
            (JournalOwner { host, pid: u32::try_from(pid).unwrap_or_default(), started }, heartbeat)
        }))
    }

    /// Makes `owner` the runner of rollout `id`, beating now (`at`).
    pub async fn rollout_claim(&self, id: i64, owner: &JournalOwner, at: &str) -> Result<(), CacheError> {
        self.writable()?;
        sqlx::query("UPDATE rollouts SET owner_host = ?, owner_pid = ?, owner_started = ?, heartbeat = ? WHERE id = ?")
            .bind(&owner.host)
            .bind(i64::from(owner.pid))
            .bind(&owner.started)
            .bind(at)
            .bind(id)
            .execute(&self.records)
            .await?;
        Ok(())
    }

    /// Writes rollout `id`'s heartbeat (`at`).
    pub async fn rollout_beat(&self, id: i64, at: &str) -> Result<(), CacheError> {
        self.writable()?;
        sqlx::query("UPDATE rollouts SET heartbeat = ? WHERE id = ?").bind(at).bind(id).execute(&self.records).await?;
        Ok(())
    }
}
