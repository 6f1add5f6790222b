//! Credentials never reach any output: a context whose exec credential plugin (given a client
//! secret as an option and a token in its environment) prints a token and a sign-in message and
//! then fails, one whose plugin prints a token that is no ExecCredential,
//! and one with a token the cluster rejects are used by `clusters` (table and JSON), `tenants`,
//! `tenant`, an action and `audit --csv`; each secret is then searched for in every stdout and
//! stderr, the log files, and a dump of the cache's SQLite files.

use std::path::Path;
use std::process::Output;

use tenantry_tests::fleet::Fleet;

/// What the failing plugin prints on stdout: a whole credential.
const PLUGIN_TOKEN: &str = "plugin-token-9f8e7d6c5b4a3210";
/// What it prints on stderr.
const PLUGIN_STDERR: &str = "stderr-device-code-ABCD-EFGH";
/// What the plugin whose output is not an ExecCredential prints.
const GARBLED_TOKEN: &str = "garbled-token-0123456789abcdef";
/// What the failing plugin is given as an option and in its environment.
const PLUGIN_ARGUMENT: &str = "client-secret-in-argument-4455";
/// What the failing plugin is given in its environment.
const PLUGIN_ENVIRONMENT: &str = "token-in-environment-6677";
/// A static token the cluster does not know.
const REJECTED_TOKEN: &str = "rejected-static-token-5566778899";

fn tenantry(kubeconfig: &Path, data_dir: &Path, args: &[&str]) -> Output {
    tenantry_tests::command::tenantry(env!("CARGO_BIN_EXE_tenantry"), kubeconfig, data_dir)
        .args(args)
        .env("RUST_LOG", "debug")
        .output()
        .expect("tenantry runs")
}

fn plugin(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    tenantry_tests::script::write_script(&path, body).expect("write the plugin");
    path.display().to_string()
}

/// Every file under `dir`, as text (SQLite pages hold text as it is).
fn dump(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            text.push_str(&dump(&path));
        } else {
            text.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()));
        }
    }
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn no_credential_reaches_any_output_the_log_or_the_cache() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fleet = Fleet::start(&dir.path().join("fleet"), &["sec-1".to_owned()]).await.expect("a local cluster starts");
    let cluster = &fleet.clusters[0];
    let failing = plugin(
        dir.path(),
        "failing-plugin",
        &format!(
            "echo '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{PLUGIN_TOKEN}\"}}}}'\necho 'open https://login.example.com and type {PLUGIN_STDERR}' >&2\nexit 1"
        ),
    );
    let garbled = plugin(dir.path(), "garbled-plugin", &format!("echo 'token: {GARBLED_TOKEN} ]]: {{'"));
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &cluster.ca_pem).expect("write the CA");
    let exec = |command: &str| {
        format!(
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {command}\n      args: [get-token, --oidc-client-secret={PLUGIN_ARGUMENT}]\n      env: [{{name: API_TOKEN, value: {PLUGIN_ENVIRONMENT}}}]\n      interactiveMode: Never\n"
        )
    };
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: plugin\nclusters:\n- name: sec\n  cluster:\n    server: {server}\n    certificate-authority: {ca}\nusers:\n- name: failing\n  user:\n{failing_exec}- name: garbled\n  user:\n{garbled_exec}- name: rejected\n  user:\n    token: {REJECTED_TOKEN}\ncontexts:\n- name: plugin\n  context: {{cluster: sec, user: failing}}\n- name: garbled\n  context: {{cluster: sec, user: garbled}}\n- name: rejected\n  context: {{cluster: sec, user: rejected}}\n",
            server = cluster.server,
            ca = ca.display(),
            failing_exec = exec(&failing),
            garbled_exec = exec(&garbled),
        ),
    )
    .expect("write the kubeconfig");
    let data = dir.path().join("data");

    let outputs = [
        tenantry(&kubeconfig, &data, &["clusters", "--json"]),
        tenantry(&kubeconfig, &data, &["clusters"]),
        tenantry(&kubeconfig, &data, &["tenants"]),
        tenantry(&kubeconfig, &data, &["tenant", "plugin/alder"]),
        tenantry(&kubeconfig, &data, &["scale", "plugin/alder", "--replicas", "2", "--yes"]),
        tenantry(&kubeconfig, &data, &["scale", "garbled/alder", "--replicas", "2", "--yes"]),
        tenantry(&kubeconfig, &data, &["scale", "rejected/alder", "--replicas", "2", "--yes"]),
        tenantry(&kubeconfig, &data, &["audit", "--csv"]),
        tenantry(&kubeconfig, &data, &["journal"]),
    ];
    let shown: Vec<String> = outputs
        .iter()
        .map(|o| format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
        .collect();
    let json: serde_json::Value = serde_json::from_slice(&outputs[0].stdout).expect("clusters --json is JSON");
    let plugin_row =
        json["clusters"].as_array().expect("rows").iter().find(|row| row["context"] == "plugin").expect("row");
    let detail = plugin_row["probe"]["error"]["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("the credential plugin") && detail.contains("failed"),
        "the failure is still told: {detail}"
    );
    let audit = &shown[7];
    assert!(audit.lines().count() >= 4, "the three refused actions are audited: {audit}");

    let everything = format!("{}\n{}", shown.join("\n"), dump(&data));
    assert!(!dump(&data.join("logs")).is_empty(), "the log files were written");
    for secret in [
        PLUGIN_TOKEN,
        PLUGIN_STDERR,
        GARBLED_TOKEN,
        REJECTED_TOKEN,
        PLUGIN_ARGUMENT,
        PLUGIN_ENVIRONMENT,
        &cluster.admin_token,
    ] {
        assert!(!everything.contains(secret), "{secret} leaked:\n{}", context_of(&everything, secret));
    }
}

/// The lines around the first place `secret` appears, to say where it leaked.
fn context_of(text: &str, secret: &str) -> String {
    let at = text.find(secret).unwrap_or_default();
    let start = text[..at].rfind('\n').unwrap_or(0);
    text[start..text.len().min(at + 200)].to_owned()
}
