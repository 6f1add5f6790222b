//! Exec credential plugins the way a desktop user meets them, on a real local cluster: the CLI
//! started with a desktop menu's PATH finds a plugin that only the login shell's PATH holds and
//! runs it once per process however many contexts and requests use it; a missing plugin is one
//! sentence naming the command, the PATH searched and the install hint; a plugin that needs a
//! person never runs unattended and signs in with its stderr streamed to the caller; a hanging
//! plugin is stopped with its children; an expiring credential is renewed and one the server
//! refuses is replaced once.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use tenantry_core::kubeconfig::{ContextEntry, Kubeconfig, Sources};
use tenantry_tests::fleet::Fleet;

/// A desktop menu's PATH: none of the user's shell additions.
const DESKTOP_PATH: &str = "/usr/bin:/bin";

/// A plugin script at `path` that counts its runs in `path.runs` and then does `body`.
fn plugin(path: &Path, body: &str) {
    let runs = format!("{}.runs", path.display());
    tenantry_tests::script::write_script(path, &format!("echo run >> '{runs}'\n{body}")).expect("write the plugin");
}

/// How many times the plugin at `path` has run.
fn runs(path: &Path) -> usize {
    std::fs::read_to_string(format!("{}.runs", path.display())).map(|text| text.lines().count()).unwrap_or(0)
}

/// The shell line printing an ExecCredential with `token`, expiring `expires_in` seconds from now.
fn prints_token(token: &str, expires_in: Option<u32>) -> String {
    let expiry = expires_in.map_or_else(String::new, |seconds| {
        format!(",\\\"expirationTimestamp\\\":\\\"$(date -u -d @$(($(date +%s)+{seconds})) +%Y-%m-%dT%H:%M:%SZ)\\\"")
    });
    format!(
        "echo \"{{\\\"apiVersion\\\":\\\"client.authentication.k8s.io/v1\\\",\\\"kind\\\":\\\"ExecCredential\\\",\\\"status\\\":{{\\\"token\\\":\\\"{token}\\\"{expiry}}}}}\""
    )
}

fn exec_user(name: &str, command: &str, mode: &str, hint: &str) -> String {
    format!(
        "- name: {name}\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {command}\n      interactiveMode: {mode}\n      installHint: \"{hint}\"\n"
    )
}

fn tenantry(kubeconfig: &Path, home: &Path, data: &Path, args: &[&str]) -> Output {
    tenantry_tests::command::tenantry(env!("CARGO_BIN_EXE_tenantry"), kubeconfig, data)
        .args(args)
        .env("PATH", DESKTOP_PATH)
        .env("HOME", home)
        .env("SHELL", "/bin/sh")
        .output()
        .expect("tenantry runs")
}

async fn entry(kubeconfig: &Path, context: &str) -> ContextEntry {
    let kubeconfig = Kubeconfig::load(&Sources::Explicit(kubeconfig.to_owned())).expect("kubeconfig loads");
    kubeconfig.contexts().into_iter().find(|c| c.name == context).expect("context")
}

async fn lists_namespaces(entry: &ContextEntry) -> Result<usize, String> {
    let client = entry.client().await.map_err(|e| tenantry_core::error::chain(&e))?;
    let namespaces = kube::Api::<k8s_openapi::api::core::v1::Namespace>::all(client);
    namespaces.list(&Default::default()).await.map(|list| list.items.len()).map_err(|e| tenantry_core::error::chain(&e))
}

#[tokio::test(flavor = "multi_thread")]
async fn credential_plugins_run_once_from_the_login_path_and_never_hang() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fleet = Fleet::start(&dir.path().join("fleet"), &["cred-1".to_owned()]).await.expect("a local cluster starts");
    let cluster = &fleet.clusters[0];
    let token = &cluster.admin_token;

    // The plugins live where only the login shell's PATH reaches: ~/.local/bin, added by ~/.profile.
    let home = dir.path().join("home");
    let bin = home.join(".local/bin");
    std::fs::create_dir_all(&bin).expect("plugin folder");
    std::fs::write(home.join(".profile"), "echo 'Welcome!'\nexport PATH=\"$HOME/.local/bin:$PATH\"\n")
        .expect("profile");
    plugin(&bin.join("cloud-login"), &prints_token(token, Some(3600)));
    plugin(
        &bin.join("device-login"),
        &format!(
            "echo 'open https://device.example/activate and enter WXYZ-1234' >&2\nsleep 1\n{}",
            prints_token(token, None)
        ),
    );
    plugin(&bin.join("hanging-login"), "sleep 600 &\nwait");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &cluster.ca_pem).expect("write the CA");
    let kubeconfig = dir.path().join("kubeconfig");
    let context = |name: &str, user: &str| format!("- name: {name}\n  context: {{cluster: cred, user: {user}}}\n");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: cloud\nclusters:\n- name: cred\n  cluster:\n    server: {server}\n    certificate-authority: {ca}\nusers:\n{cloud}{missing}{device}{hanging}contexts:\n{c1}{c2}{c3}{c4}{c5}",
            server = cluster.server,
            ca = ca.display(),
            cloud = exec_user("cloud", "cloud-login", "Never", ""),
            missing = exec_user("missing", "eks-token-helper", "Never", "Install it with: apt install eks-token-helper"),
            device = exec_user("device", "device-login", "Always", ""),
            hanging = exec_user("hanging", "hanging-login", "Never", ""),
            c1 = context("cloud", "cloud"),
            c2 = context("cloud-admin", "cloud"),
            c3 = context("missing", "missing"),
            c4 = context("device", "device"),
            c5 = context("hanging", "hanging"),
        ),
    )
    .expect("write the kubeconfig");
    let data = dir.path().join("data");

    let started = Instant::now();
    let listed = tenantry(&kubeconfig, &home, &data, &["clusters", "--json", "--timeout", "4"]);
    let took = started.elapsed();
    let json: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("clusters --json is JSON");
    let row = |name: &str| {
        json["clusters"].as_array().expect("rows").iter().find(|row| row["context"] == name).expect("row").clone()
    };
    for reachable in ["cloud", "cloud-admin"] {
        assert_eq!(row(reachable)["probe"]["state"], "reachable", "{reachable}: {}", row(reachable));
    }
    assert_eq!(
        runs(&bin.join("cloud-login")),
        1,
        "one run serves both contexts of the user entry and all their requests"
    );

    let missing = row("missing")["probe"]["error"]["detail"].as_str().unwrap_or_default().to_owned();
    for part in [
        "\"eks-token-helper\"",
        &bin.display().to_string(),
        "/usr/bin",
        "Install it with: apt install eks-token-helper",
    ] {
        assert!(missing.contains(part), "the missing plugin's sentence names {part}: {missing}");
    }

    let device = row("device")["probe"]["error"].clone();
    assert_eq!(device["kind"], "unauthorized", "{device}");
    assert!(device["detail"].as_str().unwrap_or_default().contains("needs a person"), "{device}");
    assert_eq!(runs(&bin.join("device-login")), 0, "a plugin that needs a person never runs unattended");

    assert_eq!(row("hanging")["probe"]["state"], "failed");
    assert!(took < Duration::from_secs(20), "a hanging plugin holds nothing up: {took:?}");
    assert_eq!(runs(&bin.join("hanging-login")), 1);
    let leftover = std::process::Command::new("pgrep").args(["-f", "sleep 600"]).output().expect("pgrep runs");
    assert!(leftover.stdout.is_empty(), "the abandoned plugin's children were stopped");

    let only_cloud = dir.path().join("only-cloud.kubeconfig");
    let text = std::fs::read_to_string(&kubeconfig).expect("kubeconfig");
    let contexts_at = text.find("contexts:\n").expect("contexts") + "contexts:\n".len();
    std::fs::write(&only_cloud, format!("{}{}", &text[..contexts_at], context("cloud", "cloud"))).expect("write");
    let tenants = tenantry(&only_cloud, &home, &data, &["tenants"]);
    assert!(tenants.status.success(), "tenants through the plugin: {}", String::from_utf8_lossy(&tenants.stderr));
    assert_eq!(runs(&bin.join("cloud-login")), 2, "a second process runs the plugin once more, once");

    // A credential about to expire is renewed before it is sent (it is held until 10 s before its expiry).
    let expiring = bin.join("expiring-login");
    plugin(&expiring, &prints_token(token, Some(15)));
    // The first run issues a token the server refuses; the next one issues the right one.
    let refused = bin.join("refused-login");
    let marker = dir.path().join("refused-once");
    plugin(
        &refused,
        &format!(
            "if [ -e '{marker}' ]; then {good}; else touch '{marker}'; {bad}; fi",
            marker = marker.display(),
            good = prints_token(token, None),
            bad = prints_token("token-the-server-does-not-know", None)
        ),
    );
    let absolute = std::fs::read_to_string(&kubeconfig)
        .expect("kubeconfig")
        .replace("command: cloud-login", &format!("command: {}", expiring.display()))
        .replace("command: hanging-login", &format!("command: {}", refused.display()))
        .replace("command: device-login", &format!("command: {}", bin.join("device-login").display()));
    std::fs::write(&kubeconfig, absolute).expect("rewrite the kubeconfig");

    // This process runs the plugins by absolute path (its login shell is not the test's).
    // A person signs in: the plugin's stderr reaches them line by line, then the credential serves.
    let device = entry(&kubeconfig, "device").await;
    let slot = device.credential_slot().expect("an exec user has a slot");
    assert!(lists_namespaces(&device).await.is_err_and(|e| e.contains("needs a person")));
    let (lines, mut shown) = tokio::sync::mpsc::unbounded_channel();
    slot.sign_in(lines).await.expect("sign-in succeeds");
    assert_eq!(shown.recv().await.as_deref(), Some("open https://device.example/activate and enter WXYZ-1234"));
    assert!(lists_namespaces(&device).await.is_ok(), "signed in, the cluster answers");
    assert_eq!(runs(&bin.join("device-login")), 1);

    let expiring_entry = entry(&kubeconfig, "cloud").await;
    assert!(lists_namespaces(&expiring_entry).await.is_ok());
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert!(lists_namespaces(&expiring_entry).await.is_ok());
    assert_eq!(runs(&expiring), 2, "the expired credential was renewed, once");
    assert!(lists_namespaces(&entry(&kubeconfig, "hanging").await).await.is_ok(), "a 401 is followed by one fresh run");
    assert_eq!(runs(&refused), 2);
}
