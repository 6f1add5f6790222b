//! The journal across processes, as people see it from a shell: an action that a live
//! `tenantry` process runs is listed as running there and cannot be resumed from elsewhere; once
//! that process is killed mid-rollout (SIGKILL) the action is listed as interrupted, and
//! resuming it finishes the job.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::Api;
use tenantry_tests::cluster::{client_for, cordon};
use tenantry_tests::fleet::Fleet;

fn tenantry(kubeconfig: &Path, data_dir: &Path) -> Command {
    tenantry_tests::command::tenantry(env!("CARGO_BIN_EXE_tenantry"), kubeconfig, data_dir)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The action number of the journal line that mentions `tenant`.
fn journal_number(listing: &str, tenant: &str) -> Option<String> {
    let line = listing.lines().find(|l| l.contains(tenant))?;
    line.split_whitespace().next()?.strip_prefix('#').map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_process_keeps_its_action_and_a_killed_one_leaves_it_to_resume() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fleet = Fleet::start(&dir.path().join("fleet"), &["cli-2".to_owned()]).await.expect("a local cluster starts");
    let data = dir.path().join("data");
    let run = |args: &[&str]| -> Output { tenantry(&fleet.kubeconfig, &data).args(args).output().expect("runs") };
    let client = client_for(&fleet.kubeconfig, Some("cli-2")).await.expect("client");
    let created = run(&[
        "create",
        "cli-2/pine-lms",
        "--name",
        "Pine",
        "--customer",
        "Pine",
        "--domain",
        "pine.example.com",
        "--version",
        "1.0.0",
        "--replicas",
        "1",
        "--yes",
    ]);
    assert_eq!(created.status.code(), Some(0), "{}", text(&created.stderr));

    // New pods cannot be scheduled, so this scale waits in its rollout.
    cordon(&client, true).await.expect("cordoned");
    let mut scaling = tenantry(&fleet.kubeconfig, &data)
        .args(["scale", "cli-2/pine-lms", "--replicas", "2", "--yes", "--timeout", "300"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("scale starts");
    let running_there = format!("running in process {}", scaling.id());
    let started = Instant::now();
    let listing = loop {
        let listing = text(&run(&["journal"]).stdout);
        if listing.contains(&running_there) && listing.contains("Wait until it runs as asked") {
            break listing;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "never listed as running there:\n{listing}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(!listing.contains("Resume with"), "an action running elsewhere is not offered: {listing}");
    let number = journal_number(&listing, "pine-lms").expect("its number");
    let refused = run(&["journal", "resume", &number]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stdout));
    assert!(text(&refused.stderr).contains("is still running in process"), "{}", text(&refused.stderr));

    // The process dies mid-rollout: the action is interrupted, and resuming finishes it.
    scaling.kill().expect("killed");
    scaling.wait().expect("reaped");
    let listing = text(&run(&["journal"]).stdout);
    assert!(listing.contains("interrupted at: Wait until it runs as asked"), "{listing}");
    assert!(listing.contains("Resume with"), "{listing}");
    cordon(&client, false).await.expect("uncordoned");
    let resumed = run(&["journal", "resume", &number]);
    assert_eq!(resumed.status.code(), Some(0), "{}{}", text(&resumed.stdout), text(&resumed.stderr));
    assert_eq!(text(&run(&["journal"]).stdout).trim(), "No unfinished actions.");
    let app = Api::<Deployment>::namespaced(client.clone(), "pine-lms").get("app").await.expect("app");
    assert_eq!(app.status.and_then(|s| s.ready_replicas), Some(2));
}
