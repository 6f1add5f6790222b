//! The `journal` table: every action's intent before it touches a cluster, its last step, and
//! its result, and who runs it (host, process, heartbeat), so that an entry still `running` can
//! be told apart: running in a live process, or left by one that died.

use tenantry_model::{ActionRequest, JournalEntry, JournalState, Step};

use super::{Cache, CacheError, enum_from_text, enum_text};

/// A `journal` row.
type JournalRow = (i64, String, String, i64, String, String, String, String, i64, String, String);

/// The process that runs (or ran) a journal entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalOwner {
    /// The host name.
    pub host: String,
    /// The process id.
    pub pid: u32,
    /// When that process started (in the kernel's clock ticks since boot), so that a reused
    /// process id is not taken for the owner.
    pub started: String,
}

/// A journal entry with its owner and the owner's last heartbeat (RFC 3339).
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedEntry {
    /// The entry.
    pub entry: JournalEntry,
    /// Who runs it.
    pub owner: JournalOwner,
    /// When its owner last said it still runs it.
    pub heartbeat: String,
}

impl Cache {
    /// Records the intent of `request` (and the revision before it, to roll back to) and
    /// returns its id.
    pub async fn journal_start(
        &self,
        request: &ActionRequest,
        revision_before: u64,
        owner: &JournalOwner,
        at: &str,
    ) -> Result<i64, CacheError> {
        self.writable()?;
        let id = sqlx::query_scalar(
            "INSERT INTO journal (started, context, tenant, action, request, revision_before, state, step, \
             owner_host, owner_pid, owner_started, heartbeat) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(at)
        .bind(&request.context)
        .bind(&request.tenant)
        .bind(request.change.kind().name())
        .bind(serde_json::to_string(request)?)
        .bind(i64::try_from(revision_before).unwrap_or(i64::MAX))
        .bind(enum_text(&JournalState::Running)?)
        .bind(enum_text(&Step::Journal)?)
        .bind(&owner.host)
        .bind(i64::from(owner.pid))
        .bind(&owner.started)
        .bind(at)
        .fetch_one(&self.records)
        .await?;
        Ok(id)
    }

    /// Records that entry `id` reached `step`.
    pub async fn journal_step(&self, id: i64, step: Step) -> Result<(), CacheError> {
        self.writable()?;
        sqlx::query("UPDATE journal SET step = ? WHERE id = ?")
            .bind(enum_text(&step)?)
            .bind(id)
            .execute(&self.records)
            .await?;
        Ok(())
    }

    /// Records that the entries `ids` are still running at `at`.
    pub async fn journal_heartbeat(&self, ids: &[i64], at: &str) -> Result<(), CacheError> {
        self.writable()?;
        let mut transaction = self.records.begin().await?;
        for id in ids {
            sqlx::query("UPDATE journal SET heartbeat = ? WHERE id = ?")
                .bind(at)
                .bind(id)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Records how entry `id` ended.
    pub async fn journal_finish(
        &self,
        id: i64,
        state: JournalState,
        message: &str,
        at: &str,
    ) -> Result<(), CacheError> {
        self.writable()?;
        sqlx::query("UPDATE journal SET state = ?, message = ?, finished = ? WHERE id = ?")
            .bind(enum_text(&state)?)
            .bind(message)
            .bind(at)
            .bind(id)
            .execute(&self.records)
            .await?;
        Ok(())
    }

    /// Entry `id`.
    pub async fn journal_entry(&self, id: i64) -> Result<Option<OwnedEntry>, CacheError> {
        let row: Option<JournalRow> = sqlx::query_as(
            "SELECT id, started, request, revision_before, state, step, message, owner_host, owner_pid, \
             owner_started, heartbeat FROM journal WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.records)
        .await?;
        row.map(entry).transpose()
    }

    /// Entries that did not finish, oldest first: actions the app died in (still `running`) and
    /// actions that failed, until a resume or roll back settles them.
    pub async fn unfinished(&self) -> Result<Vec<OwnedEntry>, CacheError> {
        let rows: Vec<JournalRow> = sqlx::query_as(
            "SELECT id, started, request, revision_before, state, step, message, owner_host, owner_pid, \
                 owner_started, heartbeat FROM journal WHERE state IN (?, ?) ORDER BY id",
        )
        .bind(enum_text(&JournalState::Running)?)
        .bind(enum_text(&JournalState::Failed)?)
        .fetch_all(&self.records)
        .await?;
        rows.into_iter().map(entry).collect()
    }
}

fn entry(
    (id, started, request, revision_before, state, step, message, host, pid, owner_started, heartbeat): JournalRow,
) -> Result<OwnedEntry, CacheError> {
    let entry = JournalEntry {
        id,
        started,
        request: serde_json::from_str(&request)?,
        revision_before: u64::try_from(revision_before).unwrap_or_default(),
        state: enum_from_text(&state)?,
        step: enum_from_text(&step)?,
        message,
        running_in: None,
    };
    let owner = JournalOwner { host, pid: u32::try_from(pid).unwrap_or_default(), started: owner_started };
    Ok(OwnedEntry { entry, owner, heartbeat })
}
