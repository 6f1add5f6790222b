//! Desktop notifications reach a real notification daemon (dunst on a session bus of the test's
//! own): `tenantry watch --notify` tells of a tenant that went Down and stayed so, and of its
//! recovery; a tenant down for a moment only is not told; a cluster that goes away is one
//! notice, not one per tenant.

use std::io::BufRead as _;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use kube::api::{DeleteParams, ListParams};
use tenantry_tests::desktop::DesktopSession;
use tenantry_tests::fleet::Fleet;

/// How long a change must hold before it is told, in this test.
const HOLD_SECONDS: u64 = 6;

/// Kills the notifier when the test ends, however it ends.
struct Notifier(Child);

impl Drop for Notifier {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn delete_pods(client: &kube::Client, namespace: &str) {
    let pods = kube::Api::<Pod>::namespaced(client.clone(), namespace);
    pods.delete_collection(&DeleteParams::default().grace_period(0), &ListParams::default())
        .await
        .expect("pods deleted");
}

/// Waits until the notices shown satisfy `done`; returns them.
async fn shown_until(
    desktop: &DesktopSession,
    seconds: u64,
    what: &str,
    done: impl Fn(&[(String, String)]) -> bool,
) -> Vec<(String, String)> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let shown = desktop.shown();
        if done(&shown) {
            return shown;
        }
        assert!(Instant::now() < deadline, "{what} within {seconds} s; shown: {shown:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tenant_down_and_back_is_told_a_flicker_is_not_and_a_lost_cluster_is_one_notice() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut fleet = Fleet::start(&dir.path().join("fleet"), &["note-1".to_owned()]).await.expect("a cluster starts");
    let admin = fleet.clusters[0].admin_client().await.expect("admin");
    let seeded = tenantry_tests::seed::seed(&admin, 3, 1).await.expect("seeded");
    let (down, flicker) = (seeded[0].id.clone(), seeded[1].id.clone());
    let desktop = DesktopSession::start(&dir.path().join("desktop")).expect("a session bus with dunst");

    let mut child =
        tenantry_tests::command::tenantry(env!("CARGO_BIN_EXE_tenantry"), &fleet.kubeconfig, &dir.path().join("data"))
            .args(["watch", "--notify", "--hold", &HOLD_SECONDS.to_string()])
            .env("DBUS_SESSION_BUS_ADDRESS", &desktop.address)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("tenantry watch starts");
    let stdout = child.stdout.take().expect("stdout");
    let _notifier = Notifier(child);
    let printed = Arc::new(Mutex::new(Vec::<String>::new()));
    let lines = Arc::clone(&printed);
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            lines.lock().expect("lines").push(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while !printed.lock().expect("lines").iter().any(|line| line.contains(&down) && line.contains("live")) {
        assert!(Instant::now() < deadline, "the fleet went live: {:?}", printed.lock().expect("lines"));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Down and held: told. No node takes its pods back while the nodes are cordoned.
    tenantry_tests::cluster::cordon(&admin, true).await.expect("cordoned");
    delete_pods(&admin, &down).await;
    shown_until(&desktop, 40, "the tenant down is told", |shown| {
        shown.iter().any(|(summary, _)| summary.contains(&down) && summary.ends_with("is down"))
    })
    .await;

    // Another one down for a moment, then every pod back: the flicker is not told, the recovery is.
    delete_pods(&admin, &flicker).await;
    tenantry_tests::cluster::cordon(&admin, false).await.expect("uncordoned");
    shown_until(&desktop, 40, "the recovery is told", |shown| {
        shown.iter().any(|(summary, _)| summary.contains(&down) && summary.ends_with("recovered"))
    })
    .await;
    tokio::time::sleep(Duration::from_secs(HOLD_SECONDS + 2)).await;

    // The cluster goes away: one notice for it, none for its tenants.
    fleet.clusters[0].stop_apiserver();
    let shown = shown_until(&desktop, 60, "the lost cluster is told", |shown| {
        shown.iter().any(|(summary, _)| summary == "Cluster note-1 is not reachable")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(HOLD_SECONDS + 2)).await;
    let shown = if desktop.shown().len() > shown.len() { desktop.shown() } else { shown };
    let summaries: Vec<&str> = shown.iter().map(|(summary, _)| summary.as_str()).collect();
    assert_eq!(summaries.len(), 3, "the down, the recovery, the cluster; nothing else: {summaries:?}");
    assert!(!summaries.iter().any(|summary| summary.contains(&flicker)), "the flicker was not told: {summaries:?}");
    let cluster_body = &shown[2].1;
    assert!(cluster_body.contains("3 tenants"), "the cluster notice counts its tenants: {cluster_body}");
}
