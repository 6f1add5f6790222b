//! The `tenantry` command against a real local cluster: `clusters` as a table and JSON, exit
//! codes, a damaged kubeconfig, `tenants` with its filters, `tenant` in detail, and no credential
//! in any output or log line.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use tenantry_tests::fleet::Fleet;

fn tenantry(kubeconfig: &str, data_dir: &Path, args: &[&str]) -> Output {
    tenantry_command(kubeconfig, data_dir, "clusters", args)
}

fn tenantry_command(kubeconfig: &str, data_dir: &Path, command: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tenantry"))
        .arg(command)
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env("TENANTRY_DATA_DIR", data_dir)
        .env("RUST_LOG", "trace")
        .output()
        .expect("tenantry runs")
}

fn log_text(data_dir: &Path) -> String {
    let logs = std::fs::read_dir(data_dir.join("logs")).expect("the log folder exists");
    logs.flatten().map(|entry| std::fs::read_to_string(entry.path()).unwrap_or_default()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn clusters_command_reports_every_context() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fleet = Fleet::start(&dir.path().join("fleet"), &["local-1".to_owned()]).await.expect("a local cluster starts");
    let broken = dir.path().join("broken.yaml");
    std::fs::write(
        &broken,
        "apiVersion: v1\nkind: Config\ncontexts:\n- name: orphan\n  context:\n    cluster: gone\n    user: nobody\n",
    )
    .expect("write the broken kubeconfig");
    let kubeconfig = format!("{}:{}", fleet.kubeconfig.display(), broken.display());
    let data_dir = dir.path().join("data");

    let json = tenantry(&kubeconfig, &data_dir, &["--json"]);
    assert_eq!(json.status.code(), Some(1), "one context is broken, so the exit code is 1");
    let report: Value = serde_json::from_slice(&json.stdout).expect("stdout is JSON");
    let states: Vec<(String, String)> = report["clusters"]
        .as_array()
        .expect("clusters array")
        .iter()
        .map(|row| {
            (
                row["context"].as_str().unwrap_or_default().to_owned(),
                row["probe"]["state"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![
            ("local-1".to_owned(), "reachable".to_owned()),
            ("local-1-helpdesk".to_owned(), "reachable".to_owned()),
            ("orphan".to_owned(), "failed".to_owned()),
        ]
    );
    assert_eq!(report["clusters"][0]["probe"]["version"], "v1.33.13");
    assert_eq!(report["clusters"][2]["probe"]["error"]["kind"], "bad_kubeconfig");

    let table = tenantry(&fleet.kubeconfig.display().to_string(), &data_dir, &[]);
    assert_eq!(table.status.code(), Some(0), "every context reachable: exit code 0");
    let stdout = String::from_utf8_lossy(&table.stdout);
    assert!(stdout.lines().next().is_some_and(|h| h.starts_with("CONTEXT")), "table header: {stdout}");
    assert!(stdout.contains("* local-1 ") && stdout.contains("v1.33.13") && stdout.contains("reachable"), "{stdout}");

    tenants_command_filters_the_live_inventory(&fleet, &data_dir).await;

    let mut secrets = vec![fleet.clusters[0].admin_token.clone()];
    secrets.extend(fleet.helpdesk_tokens.iter().cloned());
    let outputs = [&json, &table]
        .map(|o| format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)));
    let logged = log_text(&data_dir);
    assert!(
        logged.contains("trace") || logged.contains("TRACE") || logged.contains("DEBUG"),
        "trace logging reached the file"
    );
    for secret in &secrets {
        assert!(!outputs.iter().any(|o| o.contains(secret.as_str())), "a token appeared in the output");
        assert!(!logged.contains(secret.as_str()), "a token appeared in the log file");
    }
}

/// `tenantry tenants` filtered by health and search text, and `tenantry tenant` in detail.
async fn tenants_command_filters_the_live_inventory(fleet: &Fleet, data_dir: &Path) {
    let admin = tenantry_tests::cluster::client_for(&fleet.kubeconfig, Some("local-1")).await.expect("client");
    let seeded = tenantry_tests::seed::seed(&admin, 6, 1).await.expect("tenants seeded");
    let kubeconfig = fleet.kubeconfig.display().to_string();
    let ids = |output: &Output| -> Vec<String> {
        let report: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
        let tenants = report["tenants"].as_array().cloned().unwrap_or_default();
        tenants.iter().map(|t| t["id"].as_str().unwrap_or_default().to_owned()).collect()
    };
    // Until the pods of the healthy tenants are ready, they are down too: poll until converged.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let down = tenantry_command(&kubeconfig, data_dir, "tenants", &["--json", "--health", "down"]);
        assert_eq!(down.status.code(), Some(0));
        if ids(&down) == vec![seeded[4].id.clone()] {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "only the unschedulable tenant stays down: {:?}", ids(&down));
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let searched = tenantry_command(&kubeconfig, data_dir, "tenants", &["--json", &seeded[2].domain.to_uppercase()]);
    assert_eq!(ids(&searched), vec![seeded[2].id.clone()], "search ignores case and matches domains");
    let live_ids = ids(&tenantry_command(&kubeconfig, data_dir, "tenants", &["--json"]));
    let offline = tenantry_command(&kubeconfig, data_dir, "tenants", &["--json", "--offline"]);
    assert_eq!(offline.status.code(), Some(0), "{}", String::from_utf8_lossy(&offline.stderr));
    assert_eq!(ids(&offline), live_ids, "the cache holds what was seen live");
    let report: Value = serde_json::from_slice(&offline.stdout).expect("stdout is JSON");
    let cached = report["tenants"].as_array().cloned().unwrap_or_default();
    assert!(cached.iter().all(|t| t["freshness"]["state"] == "cached" && t["freshness"]["as_of"].is_string()));
    let table = tenantry_command(&kubeconfig, data_dir, "tenants", &["--offline"]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("cached, "), "the table shows each row's age");
    let unknown = tenantry_command(&kubeconfig, data_dir, "tenants", &["--cluster", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no usable cluster named nope"));

    let target = format!("local-1/{}", seeded[0].id);
    let detail = tenantry_command(&kubeconfig, data_dir, "tenant", &[&target, "--json"]);
    assert_eq!(detail.status.code(), Some(0), "{}", String::from_utf8_lossy(&detail.stderr));
    let detail: Value = serde_json::from_slice(&detail.stdout).expect("stdout is JSON");
    assert_eq!(detail["tenant"]["health"], "healthy");
    let pods = detail["pods"].as_array().cloned().unwrap_or_default();
    assert_eq!(pods.len(), 1, "one pod per seeded replica");
    assert_eq!(pods[0]["ready"], true);
    assert!(pods[0]["node"].as_str().is_some_and(|node| node.starts_with("kwok-node-")), "{pods:?}");
    let missing = tenantry_command(&kubeconfig, data_dir, "tenant", &["local-1/no-such-tenant"]);
    assert_eq!(missing.status.code(), Some(1));
    let malformed = tenantry_command(&kubeconfig, data_dir, "tenant", &["no-slash"]);
    assert_eq!(malformed.status.code(), Some(2));
}

#[test]
fn a_damaged_kubeconfig_is_reported_with_exit_code_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let damaged = dir.path().join("config");
    std::fs::write(&damaged, "clusters: [unclosed").expect("write the damaged kubeconfig");
    let output = tenantry(&damaged.display().to_string(), &dir.path().join("data"), &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("The kubeconfig file is damaged"), "{stderr}");
    assert!(stderr.contains(&damaged.display().to_string()), "the message names the file: {stderr}");
}
