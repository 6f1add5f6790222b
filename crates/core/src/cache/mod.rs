//! The local SQLite cache of the fleet (WAL, embedded migrations): what was last seen of every
//! cluster and tenant, so the fleet can be shown at once on start and reviewed offline. A
//! damaged or incompatible file is moved aside and rebuilt.

mod audit;
mod clusters;
mod journal;
mod tenants;
mod writer;

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use tenantry_model::{ErrorKind, UiError};

pub use journal::{JournalOwner, OwnedEntry};
pub use tenants::SeenTenant;
pub use writer::{CacheWriter, Write};

/// Why the cache cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The file cannot be opened or read as a database; it is moved aside and rebuilt.
    #[error("cannot open the cache {}", path.display())]
    Open {
        /// The cache file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: sqlx::Error,
    },
    /// The file fails SQLite's integrity check; it is moved aside and rebuilt.
    #[error("the cache {} is damaged: {report}", path.display())]
    Damaged {
        /// The cache file.
        path: PathBuf,
        /// What the integrity check reported.
        report: String,
    },
    /// The file's schema does not match this version of Tenantry; it is moved aside and rebuilt.
    #[error("the cache {} does not fit this version of Tenantry", path.display())]
    Incompatible {
        /// The cache file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
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
    pool: SqlitePool,
}

/// The cache and what the user should know about opening it.
pub struct Opened {
    /// The cache, ready.
    pub cache: Cache,
    /// Set when the file was damaged or incompatible and has been rebuilt.
    pub notice: Option<UiError>,
}

impl Cache {
    /// Opens (creating if needed) the cache at `path`; a damaged or incompatible file is moved
    /// to `<path>.damaged-<time>` and a fresh cache is built, with a notice saying so.
    pub async fn open(path: &Path) -> Result<Opened, CacheError> {
        match Self::open_checked(path).await {
            Ok(cache) => Ok(Opened { cache, notice: None }),
            Err(err @ (CacheError::Open { .. } | CacheError::Damaged { .. } | CacheError::Incompatible { .. }))
                if path.exists() =>
            {
                let aside = move_aside(path)?;
                tracing::warn!(error = %crate::error::chain(&err), moved_to = %aside.display(), "cache rebuilt");
                let cache = Self::open_checked(path).await?;
                let notice = UiError {
                    kind: ErrorKind::Cache,
                    message: format!(
                        "The local cache was damaged, so it was rebuilt; cached tenants reappear as clusters connect. The old file is {}.",
                        aside.display()
                    ),
                    detail: crate::error::chain(&err),
                };
                Ok(Opened { cache, notice: Some(notice) })
            }
            Err(err) => Err(err),
        }
    }

    async fn open_checked(path: &Path) -> Result<Self, CacheError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| CacheError::MoveAside { path: path.to_owned(), source })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5));
        let open = |source| CacheError::Open { path: path.to_owned(), source };
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await.map_err(open)?;
        let report: String = sqlx::query_scalar("PRAGMA quick_check").fetch_one(&pool).await.map_err(open)?;
        if report != "ok" {
            pool.close().await;
            return Err(CacheError::Damaged { path: path.to_owned(), report });
        }
        if let Err(source) = sqlx::migrate!("./migrations").run(&pool).await {
            pool.close().await;
            return Err(CacheError::Incompatible { path: path.to_owned(), source });
        }
        Ok(Self { pool })
    }

    /// Starts the write-behind task over this cache.
    pub fn writer(&self) -> CacheWriter {
        CacheWriter::start(self.clone())
    }

    /// Closes the pool after pending queries (the WAL is checkpointed).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The text a unit-variant enum serializes to (`running`), as stored in a column.
fn enum_text<T: serde::Serialize>(value: &T) -> Result<String, CacheError> {
    Ok(serde_json::to_value(value)?.as_str().unwrap_or_default().to_owned())
}

/// A unit-variant enum read back from its column text.
fn enum_from_text<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, CacheError> {
    Ok(serde_json::from_value(serde_json::Value::String(text.to_owned()))?)
}

/// Moves `path` (and its `-wal` and `-shm` companions) to `<path>.damaged-<time>`.
fn move_aside(path: &Path) -> Result<PathBuf, CacheError> {
    let stamp = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%S").to_string();
    let aside = PathBuf::from(format!("{}.damaged-{stamp}", path.display()));
    std::fs::rename(path, &aside).map_err(|source| CacheError::MoveAside { path: path.to_owned(), source })?;
    for suffix in ["-wal", "-shm"] {
        let companion = PathBuf::from(format!("{}{suffix}", path.display()));
        if companion.exists() {
            let _ = std::fs::rename(&companion, format!("{}{suffix}", aside.display()));
        }
    }
    Ok(aside)
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
            restarts: 0,
            revision: 1,
            created: None,
            last_backup: None,
            last_change: None,
            warnings: 0,
            freshness: Freshness::Live,
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
        let seen = tenants.iter().map(|t| SeenTenant { summary: t.clone(), spec: Some((1, "{}".into())) }).collect();
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

    #[tokio::test]
    async fn a_cache_from_a_newer_version_is_rebuilt() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(crate::paths::CACHE_FILE_NAME);
        let cache = Cache::open(&path).await.expect("opened").cache;
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (9999, 'from the future', 1, x'00', 0)",
        )
        .execute(&cache.pool)
        .await
        .expect("future migration recorded");
        cache.close().await;
        let opened = Cache::open(&path).await.expect("rebuilt");
        assert!(opened.notice.is_some_and(|n| n.detail.contains("does not fit")));
    }
}
