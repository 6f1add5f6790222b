//! Opening one SQLite file of the cache so that it keeps what it holds: it is moved aside and
//! rebuilt only when SQLite itself says it is corrupt (not a database, or a failed integrity
//! check); a busy, locked or unreadable file is left alone and reported; a file written by a
//! newer Tenantry is opened read-only and never migrated. Opening and migrating happen under an
//! exclusive lock on a file beside the cache, so two processes starting at once are safe.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use tenantry_model::{ErrorKind, UiError};

use super::CacheError;

/// How long a query waits for another process's lock before the file counts as busy.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// SQLite's primary result codes that mean the file itself is damaged.
const CORRUPT_CODES: [i64; 2] = [11, 26];

/// One opened file.
pub(super) struct Opened {
    /// Its pool.
    pub(super) pool: SqlitePool,
    /// Set when the file was written by a newer Tenantry: it is read-only, and why.
    pub(super) read_only: Option<String>,
    /// Set when the file was corrupt and has been rebuilt.
    pub(super) rebuilt: Option<UiError>,
}

/// The exclusive lock held while the cache's files are opened and migrated.
pub(super) struct OpenLock {
    _held: File,
}

impl OpenLock {
    /// Waits for the lock on `<folder>/cache.lock`.
    pub(super) async fn acquire(folder: &Path) -> Result<Self, CacheError> {
        std::fs::create_dir_all(folder).map_err(|source| CacheError::Folder { path: folder.to_owned(), source })?;
        let path = folder.join(crate::paths::CACHE_LOCK_FILE_NAME);
        let locked = tokio::task::spawn_blocking(move || {
            let file = File::options().create(true).truncate(false).write(true).open(&path)?;
            file.lock()?;
            Ok::<_, std::io::Error>(file)
        })
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))
        .flatten();
        locked.map(|file| Self { _held: file }).map_err(|source| CacheError::Folder { path: folder.to_owned(), source })
    }
}

/// What a file holds, for the notice when it is rebuilt.
pub(super) struct Holds {
    /// What it is, as people name it ("cache").
    pub(super) what: &'static str,
    /// What a rebuild means for the user.
    pub(super) rebuilt_means: &'static str,
}

/// Opens `path` with `migrator`, moving it aside and rebuilding it only when it is corrupt.
/// `before_migrating` runs on a writable file before its migrations (carrying rows over).
pub(super) async fn open(
    path: &Path,
    holds: &Holds,
    migrator: &'static Migrator,
    before_migrating: impl AsyncFnOnce(&SqlitePool) -> Result<(), CacheError>,
) -> Result<Opened, CacheError> {
    match open_checked(path, migrator, before_migrating).await {
        Err(Checked::Corrupt(report)) if path.exists() => {
            let aside = move_aside(path)?;
            let detail = format!("{}: {report}", path.display());
            tracing::warn!(error = %detail, moved_to = %aside.display(), "cache file rebuilt");
            let mut opened = open_checked(path, migrator, async |_| Ok(())).await.map_err(Checked::into_error)?;
            opened.rebuilt = Some(UiError {
                kind: ErrorKind::Cache,
                message: format!(
                    "The local {} was damaged, so it was rebuilt; {}. The damaged file is kept as {}.",
                    holds.what,
                    holds.rebuilt_means,
                    aside.display()
                ),
                detail,
            });
            Ok(opened)
        }
        result => result.map_err(Checked::into_error),
    }
}

/// What opening a file found wrong.
enum Checked {
    /// SQLite says the file is corrupt (the report).
    Corrupt(String),
    /// Anything else: the file stays as it is.
    Failed(CacheError),
}

impl Checked {
    fn into_error(self) -> CacheError {
        match self {
            Self::Corrupt(report) => CacheError::Damaged { report },
            Self::Failed(error) => error,
        }
    }
}

impl From<CacheError> for Checked {
    fn from(error: CacheError) -> Self {
        Self::Failed(error)
    }
}

async fn open_checked(
    path: &Path,
    migrator: &'static Migrator,
    before_migrating: impl AsyncFnOnce(&SqlitePool) -> Result<(), CacheError>,
) -> Result<Opened, Checked> {
    let pool = connect(path, false).await?;
    let newest_applied: Option<i64> =
        match sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations").fetch_one(&pool).await {
            Ok(version) => version,
            Err(sqlx::Error::Database(error)) if error.message().contains("no such table") => None,
            Err(error) => return Err(classify(path, error)),
        };
    let newest_known = migrator.iter().map(|m| m.version).max().unwrap_or(0);
    if let Some(applied) = newest_applied.filter(|applied| *applied > newest_known) {
        pool.close().await;
        let pool = connect(path, true).await?;
        let why = format!(
            "{} was written by a newer Tenantry (schema {applied}, this build knows up to {newest_known}); it is opened read-only and left as it is",
            path.display()
        );
        return Ok(Opened { pool, read_only: Some(why), rebuilt: None });
    }
    before_migrating(&pool).await?;
    if let Err(source) = migrator.run(&pool).await {
        pool.close().await;
        return Err(Checked::Failed(CacheError::Incompatible { path: path.to_owned(), source }));
    }
    Ok(Opened { pool, read_only: None, rebuilt: None })
}

/// A pool on `path` (WAL, waiting for other processes' locks), integrity checked.
async fn connect(path: &Path, read_only: bool) -> Result<SqlitePool, Checked> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(!read_only)
        .read_only(read_only)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(BUSY_TIMEOUT);
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .map_err(|error| classify(path, error))?;
    let report: String = match sqlx::query_scalar("PRAGMA quick_check").fetch_one(&pool).await {
        Ok(report) => report,
        Err(error) => {
            pool.close().await;
            return Err(classify(path, error));
        }
    };
    if report != "ok" {
        pool.close().await;
        return Err(Checked::Corrupt(report));
    }
    Ok(pool)
}

/// A failure to open or read `path`: corrupt when SQLite says so, else left alone.
fn classify(path: &Path, error: sqlx::Error) -> Checked {
    let code = match &error {
        sqlx::Error::Database(database) => database.code().and_then(|code| code.parse::<i64>().ok()),
        _ => None,
    };
    match code.map(|code| code & 0xff) {
        Some(code) if CORRUPT_CODES.contains(&code) => Checked::Corrupt(error.to_string()),
        Some(5 | 6) => Checked::Failed(CacheError::Busy { path: path.to_owned(), source: error }),
        _ => Checked::Failed(CacheError::Open { path: path.to_owned(), source: error }),
    }
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
