//! The local SQLite cache (WAL, embedded migrations), in two files: `cache.sqlite`, what was last
//! seen of every cluster and tenant, so the fleet can be shown at once on start and reviewed
//! offline (rebuildable: the clusters fill it again); and `records.sqlite` beside it, the action
//! journal and the audit log, which no rebuild of the fleet cache touches. `open.rs` says when a
//! file is moved aside (only when SQLite says it is corrupt) and when it is read-only.

mod audit;
mod clusters;
mod journal;
mod open;
mod rollouts;
mod tenants;
mod timeline;
mod writer;

use std::path::{Path, PathBuf};

use sqlx::migrate::Migrator;
use sqlx::sqlite::SqlitePool;
use tenantry_model::{ErrorKind, UiError};

pub use journal::{JournalOwner, OwnedEntry};
pub use tenants::SeenTenant;
pub use timeline::LookedRow;
pub use writer::{CacheWriter, Write};

/// The fleet cache's migrations.
static FLEET_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/cache");
/// The records' migrations.
static RECORDS_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/records");
/// What the fleet cache holds.
const FLEET_HOLDS: open::Holds = open::Holds {
    what: "cache",
    rebuilt_means: "cached tenants reappear as clusters connect, and the journal and audit log, kept apart, are intact",
};
/// What the records hold.
const RECORDS_HOLDS: open::Holds = open::Holds {
    what: "journal and audit log",
    rebuilt_means: "the actions and audit entries recorded before are in the damaged file only",
};
/// Tables the fleet cache held before the records moved apart.
const RECORD_TABLES: [&str; 2] = ["journal", "audit"];

/// Why the cache cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The data folder or the lock beside the cache cannot be used; check its permissions.
    #[error("cannot use the data folder {}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file cannot be opened (permissions, a folder in its place…); it is left as it is.
    #[error("cannot open the cache {}", path.display())]
    Open {
        /// The cache file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: sqlx::Error,
    },
    /// Another process holds the file locked; it is left as it is.
    #[error("the cache {} is busy in another process", path.display())]
    Busy {
        /// The cache file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: sqlx::Error,
    },
    /// A rebuilt file is still damaged.
    #[error("the cache is damaged: {report}")]
    Damaged {
        /// What SQLite reported.
        report: String,
    },
    /// The file's migrations do not match this build's (an edited migration); it is left as it is.
    #[error("the cache {} does not fit this version of Tenantry", path.display())]
    Incompatible {
        /// The cache file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// The file was written by a newer Tenantry, so nothing is written to it.
    #[error("{0}")]
    ReadOnly(String),
    /// A damaged file could not be moved aside; free the folder or remove the file.
    #[error("cannot move the damaged cache {} aside", path.display())]
    MoveAside {
        /// The cache file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A read or write failed.
    #[error("cache query failed")]
    Query(#[from] sqlx::Error),
    /// A stored row is not valid JSON for its type.
    #[error("a cached row cannot be read")]
    Row(#[from] serde_json::Error),
}

/// The opened cache.
#[derive(Clone)]
pub struct Cache {
    /// The fleet cache.
    pool: SqlitePool,
    /// The journal and the audit log.
    records: SqlitePool,
    /// Why nothing may be written, when a file is from a newer Tenantry.
    read_only: Option<String>,
}

/// The cache and what the user should know about opening it.
pub struct Opened {
    /// The cache, ready.
    pub cache: Cache,
    /// Set when a file was rebuilt or is read-only.
    pub notice: Option<UiError>,
}

impl Cache {
    /// Opens (creating if needed) the fleet cache at `path` and the records beside it. A file
    /// SQLite finds corrupt is moved to `<file>.damaged-<time>` and rebuilt, with a notice; one
    /// from a newer Tenantry is opened read-only, with a notice; a busy or unreadable one is an
    /// error and stays as it is.
    pub async fn open(path: &Path) -> Result<Opened, CacheError> {
        let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let _lock = open::OpenLock::acquire(folder).await?;
        let records_path = folder.join(crate::paths::RECORDS_FILE_NAME);
        let records = open::open(&records_path, &RECORDS_HOLDS, &RECORDS_MIGRATIONS, async |_| Ok(())).await?;
        let records_writable = records.read_only.is_none();
        let fleet = open::open(path, &FLEET_HOLDS, &FLEET_MIGRATIONS, async |pool| {
            carry_records_over(pool, &records_path, records_writable).await
        })
        .await;
        let fleet = match fleet {
            Ok(fleet) => fleet,
            Err(error) => {
                records.pool.close().await;
                return Err(error);
            }
        };
        let read_only = records.read_only.clone().or(fleet.read_only.clone());
        let notice = match (&read_only, records.rebuilt.or(fleet.rebuilt)) {
            (_, Some(rebuilt)) => Some(rebuilt),
            (Some(why), None) => Some(UiError {
                kind: ErrorKind::Cache,
                message: "The local cache was written by a newer Tenantry, so this one only reads it: cached tenants and the audit log show, and actions are not run until it is updated.".into(),
                detail: why.clone(),
            }),
            (None, None) => None,
        };
        Ok(Opened { cache: Self { pool: fleet.pool, records: records.pool, read_only }, notice })
    }

    /// A cache that keeps nothing, for a process whose cache file cannot be opened (`why`):
    /// it reads empty and refuses every journal and audit write with `why`, so actions are
    /// refused rather than run without a journal.
    pub async fn unavailable(why: String) -> Result<Self, CacheError> {
        let memory = || async {
            let options = sqlx::sqlite::SqliteConnectOptions::new().in_memory(true);
            sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect_with(options).await
        };
        let (pool, records) = (memory().await?, memory().await?);
        FLEET_MIGRATIONS
            .run(&pool)
            .await
            .map_err(|source| CacheError::Incompatible { path: ":memory:".into(), source })?;
        RECORDS_MIGRATIONS
            .run(&records)
            .await
            .map_err(|source| CacheError::Incompatible { path: ":memory:".into(), source })?;
        Ok(Self { pool, records, read_only: Some(why) })
    }

    /// Starts the write-behind task over this cache.
    pub fn writer(&self) -> CacheWriter {
        CacheWriter::start(self.clone())
    }

    /// Closes both files after pending queries (their WAL is checkpointed and removed).
    pub async fn close(&self) {
        self.pool.close().await;
        self.records.close().await;
    }

    /// Refuses a write while a file is from a newer Tenantry.
    fn writable(&self) -> Result<(), CacheError> {
        self.read_only.as_ref().map_or(Ok(()), |why| Err(CacheError::ReadOnly(why.clone())))
    }
}

/// Copies the journal and audit rows a fleet cache from before the split holds into the records
/// file (every column both have), so that its next migration may drop them; refuses when the
/// records file cannot take them.
async fn carry_records_over(fleet: &SqlitePool, records_path: &Path, writable: bool) -> Result<(), CacheError> {
    let mut conn = fleet.acquire().await?;
    let legacy: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('journal', 'audit')")
            .fetch_all(&mut *conn)
            .await?;
    if legacy.is_empty() {
        return Ok(());
    }
    if !writable {
        return Err(CacheError::ReadOnly(format!(
            "{} is from a newer Tenantry, so the journal and audit log of the cache cannot move into it",
            records_path.display()
        )));
    }
    sqlx::query("ATTACH DATABASE ? AS records").bind(records_path.display().to_string()).execute(&mut *conn).await?;
    let copied = async {
        for table in RECORD_TABLES.iter().filter(|t| legacy.iter().any(|l| l == *t)) {
            let columns = "SELECT name FROM pragma_table_info(?, ?)";
            let old: Vec<String> = sqlx::query_scalar(columns).bind(table).bind("main").fetch_all(&mut *conn).await?;
            let new: Vec<String> =
                sqlx::query_scalar(columns).bind(table).bind("records").fetch_all(&mut *conn).await?;
            let shared: Vec<&String> = old
                .iter()
                .filter(|c| new.contains(c) && c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'))
                .collect();
            let list = shared.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ");
            // Safe: the table is one of RECORD_TABLES and the columns are names both schemas
            // declare, checked to be lower-case words.
            let copy = format!("INSERT OR IGNORE INTO records.{table} ({list}) SELECT {list} FROM main.{table}");
            sqlx::query(sqlx::AssertSqlSafe(copy)).execute(&mut *conn).await?;
        }
        Ok::<(), CacheError>(())
    }
    .await;
    sqlx::query("DETACH DATABASE records").execute(&mut *conn).await?;
    copied
}

/// The text a unit-variant enum serializes to (`running`), as stored in a column.
fn enum_text<T: serde::Serialize>(value: &T) -> Result<String, CacheError> {
    Ok(serde_json::to_value(value)?.as_str().unwrap_or_default().to_owned())
}

/// A unit-variant enum read back from its column text.
fn enum_from_text<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, CacheError> {
    Ok(serde_json::from_value(serde_json::Value::String(text.to_owned()))?)
}

#[cfg(test)]
mod tests {
    use tenantry_model::{ClusterStatus, ConnectionState, Freshness, Health, TenantSummary};

    use super::*;

    fn tenant(id: &str, health: Health) -> TenantSummary {
        TenantSummary {
            id: id.into(),
            cluster: "eu".into(),
            display_name: format!("{id} site"),
            customer: "Customer".into(),
            domains: vec![format!("{id}.example.com")],
            blueprint: "web".into(),
            version: "1.0".into(),
            plan: "small".into(),
            health,
            reason: format!("{health:?}"),
            ready: 1,
            desired: 1,
            revision: 1,
            freshness: Freshness::Live,
            ..TenantSummary::default()
        }
    }

    fn live(at: &str) -> Write {
        let status = ClusterStatus {
            context: "eu".into(),
            state: ConnectionState::Live,
            last_error: None,
            last_live: None,
            notes: Vec::new(),
        };
        Write::Cluster { status, at: at.into() }
    }

    fn seen(tenants: &[TenantSummary], at: &str) -> Write {
        let seen = tenants
            .iter()
            .map(|t| SeenTenant { summary: std::sync::Arc::new(t.clone()), spec: Some((1, "{}".into())) })
            .collect();
        Write::Tenants { cluster: "eu".into(), seen, removed: Vec::new(), at: at.into() }
    }

    #[tokio::test]
    async fn rows_come_back_cached_as_of_the_last_live_time_with_their_history() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(crate::paths::CACHE_FILE_NAME);
        let opened = Cache::open(&path).await.expect("opened");
        assert!(opened.notice.is_none());
        let writer = opened.cache.writer();
        writer.send(seen(&[tenant("a", Health::Healthy), tenant("b", Health::Healthy)], "2026-11-21T10:00:00Z"));
        writer.send(seen(&[tenant("a", Health::Down)], "2026-11-21T10:05:00Z"));
        writer.send(seen(&[tenant("a", Health::Down)], "2026-11-21T10:06:00Z"));
        writer.send(live("2026-11-21T10:30:00Z"));
        writer.finish().await;
        opened.cache.close().await;

        let cache = Cache::open(&path).await.expect("reopened").cache;
        let tenants = cache.tenants().await.expect("tenants");
        assert_eq!(tenants.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(tenants[0].health, Health::Down);
        assert_eq!(tenants[0].freshness, Freshness::Cached { as_of: "2026-11-21T10:30:00Z".into() });
        let history = cache.history("eu", "a", 10).await.expect("history");
        let healths: Vec<Health> = history.iter().map(|h| h.health).collect();
        assert_eq!(healths, [Health::Healthy, Health::Down], "a repeated health is no transition");
        assert_eq!(cache.latest_spec("eu", "b").await.expect("spec"), Some((1, "{}".into())));
        let clusters = cache.clusters().await.expect("clusters");
        assert_eq!(clusters[0].last_live.as_deref(), Some("2026-11-21T10:30:00Z"));
    }

    #[tokio::test]
    async fn a_damaged_file_is_moved_aside_and_rebuilt() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(crate::paths::CACHE_FILE_NAME);
        std::fs::write(&path, b"this is not an SQLite database, just some bytes long enough to be read")
            .expect("write");
        let opened = Cache::open(&path).await.expect("rebuilt");
        let notice = opened.notice.expect("a notice");
        assert_eq!(notice.kind, ErrorKind::Cache);
        assert!(notice.message.contains("rebuilt"), "{}", notice.message);
        assert!(opened.cache.tenants().await.expect("readable").is_empty());
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|name| name.starts_with("cache.sqlite.damaged-"))
            .collect();
        assert_eq!(aside.len(), 1, "the damaged file is kept for inspection");
    }

    fn audit_entry(message: &str) -> tenantry_model::AuditEntry {
        tenantry_model::AuditEntry {
            id: 0,
            at: "2026-11-29T10:00:00Z".into(),
            os_user: "ana".into(),
            identity: "admin".into(),
            context: "eu".into(),
            tenant: "alder".into(),
            action: tenantry_model::ActionKind::Scale,
            revision_before: 1,
            revision_after: 2,
            result: tenantry_model::ActionResult::Succeeded,
            duration_ms: 5,
            message: message.into(),
            reason: String::new(),
        }
    }

    /// The files in `dir`, without SQLite's `-wal` and `-shm` companions.
    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("dir")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|name| !name.ends_with("-wal") && !name.ends_with("-shm"))
            .collect();
        names.sort();
        names
    }

    #[tokio::test]
    async fn a_rebuilt_fleet_cache_keeps_the_journal_and_the_audit_log() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(crate::paths::CACHE_FILE_NAME);
        let cache = Cache::open(&path).await.expect("opened").cache;
        cache.audit_add(&audit_entry("scaled to 2")).await.expect("audited");
        cache.close().await;
        std::fs::write(&path, b"this is not an SQLite database, just some bytes long enough to be read")
            .expect("damage");
        let opened = Cache::open(&path).await.expect("rebuilt");
        assert!(opened.notice.is_some_and(|n| n.message.contains("rebuilt")));
        let log = opened.cache.audit_log().await.expect("audit");
        assert_eq!(log.iter().map(|e| e.message.as_str()).collect::<Vec<_>>(), ["scaled to 2"]);
    }

    #[tokio::test]
    async fn a_cache_from_a_newer_version_is_read_only_and_untouched() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(crate::paths::CACHE_FILE_NAME);
        let cache = Cache::open(&path).await.expect("opened").cache;
        cache.audit_add(&audit_entry("before the upgrade")).await.expect("audited");
        for pool in [&cache.pool, &cache.records] {
            sqlx::query(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES (9999, 'from the future', 1, x'00', 0)",
            )
            .execute(pool)
            .await
            .expect("future migration recorded");
        }
        cache.close().await;
        let before = files(dir.path());
        let bytes = std::fs::read(&path).expect("read");
        let opened = Cache::open(&path).await.expect("opened read-only");
        let notice = opened.notice.expect("a notice");
        assert!(notice.message.contains("newer Tenantry") && notice.detail.contains("schema 9999"), "{notice:?}");
        let log = opened.cache.audit_log().await.expect("the audit log still reads");
        assert_eq!(log.len(), 1);
        let refused = opened.cache.audit_add(&audit_entry("x")).await.expect_err("read-only");
        assert!(matches!(refused, CacheError::ReadOnly(_)));
        opened.cache.close().await;
        assert_eq!(files(dir.path()), before, "nothing moved aside");
        assert_eq!(std::fs::read(&path).expect("read"), bytes, "the file is untouched");
    }

    #[tokio::test]
    async fn a_busy_cache_is_reported_and_left_as_it_is() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(crate::paths::CACHE_FILE_NAME);
        let cache = Cache::open(&path).await.expect("opened").cache;
        cache.audit_add(&audit_entry("kept")).await.expect("audited");
        cache.close().await;
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .locking_mode(sqlx::sqlite::SqliteLockingMode::Exclusive);
        let holder =
            sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect_with(options).await.expect("holder");
        let mut held = holder.begin().await.expect("begin");
        sqlx::query("DELETE FROM tenants WHERE id = 'none'").execute(&mut *held).await.expect("take the write lock");
        let busy = Cache::open(&path).await.err().expect("busy");
        assert!(matches!(busy, CacheError::Busy { .. }), "{busy:?}");
        held.rollback().await.expect("rollback");
        holder.close().await;
        assert!(!files(dir.path()).iter().any(|f| f.contains("damaged")), "nothing moved aside");
        let cache = Cache::open(&path).await.expect("opens once free").cache;
        assert_eq!(cache.audit_log().await.expect("audit").len(), 1);
    }

    #[tokio::test]
    async fn processes_opening_a_new_cache_at_once_all_succeed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(crate::paths::CACHE_FILE_NAME);
        let opens = (0..6).map(|_| Cache::open(&path));
        for opened in futures::future::join_all(opens).await {
            let opened = opened.expect("opened");
            assert!(opened.notice.is_none());
            opened.cache.close().await;
        }
        assert!(!files(dir.path()).iter().any(|f| f.contains("damaged")));
    }

    #[tokio::test]
    async fn the_records_of_a_cache_from_before_the_split_are_carried_over() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(crate::paths::CACHE_FILE_NAME);
        let old = dir.path().join("old-migrations");
        std::fs::create_dir_all(&old).expect("folder");
        for (name, sql) in [
            ("0001_cache.sql", include_str!("../../migrations/cache/0001_cache.sql")),
            ("0002_actions.sql", include_str!("../../migrations/cache/0002_actions.sql")),
            ("0003_owners_and_reasons.sql", include_str!("../../migrations/cache/0003_owners_and_reasons.sql")),
        ] {
            std::fs::write(old.join(name), sql).expect("write");
        }
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).create_if_missing(true);
        let pool = sqlx::sqlite::SqlitePoolOptions::new().connect_with(options).await.expect("old cache");
        Migrator::new(old.as_path()).await.expect("old migrator").run(&pool).await.expect("old schema");
        sqlx::query(
            "INSERT INTO audit (at, os_user, identity, context, tenant, action, revision_before, revision_after, \
             result, duration_ms, message, reason) VALUES ('2026-11-01T00:00:00Z', 'ana', 'admin', 'eu', 'alder', \
             'scale', 1, 2, 'succeeded', 5, 'from the old file', 'TICKET-9')",
        )
        .execute(&pool)
        .await
        .expect("old audit row");
        pool.close().await;

        let cache = Cache::open(&path).await.expect("opened").cache;
        let log = cache.audit_log().await.expect("audit");
        assert_eq!(
            log.iter().map(|e| (e.message.as_str(), e.reason.as_str())).collect::<Vec<_>>(),
            [("from the old file", "TICKET-9")]
        );
        let left: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE name IN ('audit', 'journal')")
            .fetch_all(&cache.pool)
            .await
            .expect("tables");
        assert!(left.is_empty(), "the fleet cache no longer holds records: {left:?}");
    }
}
