//! The cache keeps what it holds, as the `tenantry` command meets it: a cache busy in another
//! process and one from a newer build are left untouched with their audit log intact, a truly
//! corrupt one is rebuilt and says so while the audit log (kept apart) survives, one that cannot
//! be opened at all is reported and left in place, processes opening a new cache at once all
//! succeed, and a command leaves no write-ahead log behind.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use tenantry_core::cache::Cache;
use tenantry_model::{ActionKind, ActionResult, AuditEntry};

fn tenantry(data_dir: &Path, args: &[&str]) -> Output {
    command(data_dir).args(args).output().expect("tenantry runs")
}

fn command(data_dir: &Path) -> Command {
    tenantry_tests::command::tenantry(env!("CARGO_BIN_EXE_tenantry"), &data_dir.join("no-kubeconfig"), data_dir)
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).expect("dir").filter_map(|e| e.ok()?.file_name().into_string().ok()).collect();
    names.sort();
    names
}

/// A data folder whose audit log holds one entry.
async fn audited(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("cache.sqlite");
    let cache = Cache::open(&path).await.expect("opened").cache;
    let entry = AuditEntry {
        id: 0,
        at: "2026-11-29T10:00:00Z".into(),
        os_user: "ana".into(),
        identity: "admin".into(),
        context: "eu".into(),
        tenant: "alder-books".into(),
        action: ActionKind::Scale,
        revision_before: 1,
        revision_after: 2,
        result: ActionResult::Succeeded,
        duration_ms: 5,
        message: "Scaled alder-books".into(),
        reason: "TICKET-77".into(),
    };
    cache.audit_add(&entry).await.expect("audited");
    cache.close().await;
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn busy_newer_and_corrupt_caches_keep_their_audit_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let path = audited(&data).await;

    let listed = tenantry(&data, &["audit"]);
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed));
    assert!(text(&listed).contains("TICKET-77"));
    assert!(!files(&data).iter().any(|f| f.ends_with("-wal")), "no write-ahead log left: {:?}", files(&data));

    // Another process holds the cache locked.
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .locking_mode(sqlx::sqlite::SqliteLockingMode::Exclusive);
    let holder = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect_with(options).await.expect("holder");
    let mut held = holder.begin().await.expect("begin");
    sqlx::query("DELETE FROM tenants WHERE id = 'none'").execute(&mut *held).await.expect("take the write lock");
    let busy = tenantry(&data, &["audit"]);
    assert_eq!(busy.status.code(), Some(1));
    assert!(text(&busy).contains("is busy in another process"), "{}", text(&busy));
    held.rollback().await.expect("rollback");
    holder.close().await;
    assert!(!files(&data).iter().any(|f| f.contains("damaged")), "a busy cache is not moved aside");
    assert!(text(&tenantry(&data, &["audit"])).contains("TICKET-77"));

    // A newer build wrote it.
    let future = sqlx::sqlite::SqlitePoolOptions::new()
        .connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(&path))
        .await
        .expect("open");
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', 1, x'00', 0)",
    )
    .execute(&future)
    .await
    .expect("future migration");
    future.close().await;
    let bytes = std::fs::read(&path).expect("read");
    let newer = tenantry(&data, &["audit"]);
    assert_eq!(newer.status.code(), Some(0), "{}", text(&newer));
    assert!(
        text(&newer).contains("written by a newer Tenantry") && text(&newer).contains("TICKET-77"),
        "{}",
        text(&newer)
    );
    assert_eq!(std::fs::read(&path).expect("read"), bytes, "a newer cache is left as it is");
    assert!(!files(&data).iter().any(|f| f.contains("damaged")));
    for companion in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{companion}", path.display()));
    }

    // Truly corrupt.
    std::fs::write(&path, vec![0x5a; 8192]).expect("corrupt");
    let rebuilt = tenantry(&data, &["audit"]);
    assert_eq!(rebuilt.status.code(), Some(0), "{}", text(&rebuilt));
    assert!(text(&rebuilt).contains("was damaged, so it was rebuilt"), "{}", text(&rebuilt));
    assert!(text(&rebuilt).contains("TICKET-77"), "the audit log survives a rebuild");
    let aside = files(&data).into_iter().filter(|f| f.contains("cache.sqlite.damaged-"));
    assert_eq!(aside.filter(|f| !f.ends_with("-wal") && !f.ends_with("-shm")).count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn processes_opening_a_new_cache_at_once_all_succeed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let children: Vec<_> = (0..5)
        .map(|_| command(&data).arg("audit").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn"))
        .collect();
    for child in children {
        let output = child.wait_with_output().expect("wait");
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        assert!(!text(&output).contains("note:"), "no rebuild: {}", text(&output));
    }
    assert!(!files(&data).iter().any(|f| f.contains("damaged")), "{:?}", files(&data));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cache_that_cannot_be_opened_is_reported_and_left_as_it_is() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    audited(&data).await;
    let path = data.join("cache.sqlite");
    std::fs::remove_file(&path).expect("remove the cache");
    std::fs::create_dir(&path).expect("a folder where the cache should be");
    let refused = tenantry(&data, &["audit"]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(text(&refused).contains("cannot open the cache"), "{}", text(&refused));
    assert!(path.is_dir() && !files(&data).iter().any(|f| f.contains("damaged")), "nothing moved aside");
}
