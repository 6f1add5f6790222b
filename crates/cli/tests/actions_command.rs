//! The action commands against a real local cluster, as a script runs them: the dry run prints
//! the preview and changes nothing, `--yes` applies, exit codes say refused (2) or done (0), a
//! script without `--yes` is refused, the journal is empty afterwards, the audit log exports
//! as CSV, and a deleted tenant is created again from its cached spec.

use std::path::Path;
use std::process::Output;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::Api;
use tenantry_tests::cluster::client_for;
use tenantry_tests::fleet::Fleet;

fn tenantry(kubeconfig: &Path, data_dir: &Path, args: &[&str]) -> Output {
    tenantry_tests::command::tenantry(env!("CARGO_BIN_EXE_tenantry"), kubeconfig, data_dir)
        .args(args)
        .output()
        .expect("tenantry runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn scripts_preview_apply_and_audit_actions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fleet = Fleet::start(&dir.path().join("fleet"), &["cli-1".to_owned()]).await.expect("a local cluster starts");
    let data = dir.path().join("data");
    let run = |args: &[&str]| tenantry(&fleet.kubeconfig, &data, args);
    let client = client_for(&fleet.kubeconfig, Some("cli-1")).await.expect("client");
    let create = [
        "create",
        "cli-1/oak-studio",
        "--name",
        "Oak Studio site",
        "--customer",
        "Oak Studio",
        "--domain",
        "oak.example.com",
        "--version",
        "2.1.0",
        "--replicas",
        "2",
    ];

    let dry = run(&[&create[..], &["--dry-run"]].concat());
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry.stderr));
    let preview = text(&dry.stdout);
    assert!(preview.starts_with("create cli-1/oak-studio (revision 0 → 1):"), "{preview}");
    assert!(preview.contains("+ Deployment app (create)") && preview.contains("+ Ingress app (create)"), "{preview}");
    assert!(Api::<Namespace>::all(client.clone()).get_opt("oak-studio").await.expect("read").is_none());

    let unconfirmed = run(&create);
    assert_eq!(unconfirmed.status.code(), Some(2));
    assert!(text(&unconfirmed.stderr).contains("pass --yes to apply"), "{}", text(&unconfirmed.stderr));

    let applied = run(&[&create[..], &["--yes"]].concat());
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stderr));
    assert_eq!(text(&applied.stdout).trim(), "Created oak-studio on cli-1 (revision 1); it is running.");
    assert!(text(&applied.stderr).contains("… Wait until it runs as asked"));

    let scaled = run(&["scale", "cli-1/oak-studio", "--replicas", "3", "--yes"]);
    assert_eq!(scaled.status.code(), Some(0), "{}", text(&scaled.stderr));
    let replicas = Api::<Deployment>::namespaced(client.clone(), "oak-studio").get("app").await.expect("app");
    assert_eq!(replicas.spec.and_then(|s| s.replicas), Some(3));

    // What another writer put into the cluster is printed inert: no escape sequence reaches the
    // terminal, no line break forges a line of the preview.
    let hostile = serde_json::json!({"data": {"SITE_DOMAIN": "Oak\u{1b}[2J\n  + Secret forged (create)"}});
    let params = kube::api::PatchParams { field_manager: Some("kubectl-edit".into()), ..Default::default() };
    Api::<ConfigMap>::namespaced(client.clone(), "oak-studio")
        .patch("app-config", &params, &kube::api::Patch::Merge(&hostile))
        .await
        .expect("a hand edit");
    let dry = run(&["scale", "cli-1/oak-studio", "--replicas", "3", "--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry.stderr));
    let preview = text(&dry.stdout);
    assert!(!preview.contains('\u{1b}') && !preview.lines().any(|l| l.starts_with("  + Secret forged")), "{preview}");
    assert!(preview.contains("Oak\\u{1b}[2J\\n  + Secret forged"), "{preview}");

    let too_many = run(&["scale", "cli-1/oak-studio", "--replicas", "40", "--yes"]);
    assert_eq!(too_many.status.code(), Some(2));
    assert_eq!(text(&too_many.stdout).trim(), "replicas must be between 0 and 4 on plan small, not 40");

    let forbidden = run(&["delete", "cli-1-helpdesk/oak-studio", "--confirm", "oak-studio", "--yes"]);
    assert_eq!(forbidden.status.code(), Some(2));
    assert_eq!(text(&forbidden.stdout).trim(), "Refused: this identity may not delete namespaces.");

    let rollback = run(&["rollback", "cli-1/oak-studio", "--revision", "1", "--yes"]);
    assert_eq!(rollback.status.code(), Some(0), "{}", text(&rollback.stderr));
    assert!(text(&rollback.stdout).contains("back to the spec of revision 1 (now revision 3)"));

    let journal = run(&["journal"]);
    assert_eq!(text(&journal.stdout).trim(), "No unfinished actions.");

    let csv = run(&["audit", "--csv"]);
    assert_eq!(csv.status.code(), Some(0));
    let csv = text(&csv.stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("id,at,os_user,identity,context,tenant,action,"), "{csv}");
    assert_eq!(lines.len(), 6, "header + create, scale, refused scale, refused delete, rollback: {csv}");
    let refused = run(&["audit", "--json", "--result", "refused"]);
    let refused: Vec<serde_json::Value> = serde_json::from_slice(&refused.stdout).expect("JSON");
    let actions: Vec<&str> = refused.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["delete", "scale"]);
    assert_eq!(refused[0]["identity"], "system:serviceaccount:tenantry-system:tenantry-helpdesk");

    // Deleted, then created again from the spec the cache remembers (listing caches it).
    let listed = run(&["tenants", "--json"]);
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed.stderr));
    let deleted = run(&["delete", "cli-1/oak-studio", "--confirm", "oak-studio", "--yes"]);
    assert_eq!(deleted.status.code(), Some(0), "{}", text(&deleted.stderr));
    assert!(Api::<Namespace>::all(client.clone()).get_opt("oak-studio").await.expect("read").is_none());
    let recreated = run(&["recreate", "cli-1/oak-studio", "--yes"]);
    assert_eq!(recreated.status.code(), Some(0), "{}", text(&recreated.stderr));
    let spec = Api::<Namespace>::all(client.clone()).get("oak-studio").await.expect("created again");
    let spec = spec.metadata.annotations.unwrap_or_default().remove("tenantry.io/spec").unwrap_or_default();
    assert!(spec.contains("\"version\":\"2.1.0\"") && spec.contains("oak.example.com"), "{spec}");
    let unknown = run(&["recreate", "cli-1/never-was", "--yes"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("holds no spec of never-was"), "{}", text(&unknown.stderr));
}
