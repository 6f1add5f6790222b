//! Adding a cluster by address and token, as a user without a kubeconfig does it: against a
//! real local cluster, with the token in a real OS keyring — the kernel keyring when no desktop
//! session is there, the Secret Service (GNOME Keyring on a private session bus) when one is.
//! A rejected token, a plain-http server and a taken name store nothing; the token never shows
//! up in the list file, the cache, the log or any output; a token gone from the keyring is named.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tenantry_core::secrets::Keyring;
use tenantry_tests::fleet::Fleet;

/// Where one run of the CLI keeps its files: an empty kubeconfig, so the added cluster is the
/// only way to the cluster.
struct Home {
    kubeconfig: PathBuf,
    data: PathBuf,
    config: PathBuf,
}

impl Home {
    fn new(dir: &Path) -> Self {
        let kubeconfig = dir.join("empty-kubeconfig");
        std::fs::write(&kubeconfig, "apiVersion: v1\nkind: Config\n").expect("kubeconfig");
        Self { kubeconfig, data: dir.join("data"), config: dir.join("config") }
    }

    /// The environment that points Tenantry at this home.
    fn envs(&self) -> [(&'static str, &Path); 3] {
        [("KUBECONFIG", &self.kubeconfig), ("TENANTRY_DATA_DIR", &self.data), ("TENANTRY_CONFIG_DIR", &self.config)]
    }

    /// Runs `tenantry ARGS` without a desktop session, `stdin` piped in.
    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tenantry"))
            .args(args)
            .envs(self.envs())
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tenantry runs");
        std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), stdin.as_bytes()).expect("token sent");
        child.wait_with_output().expect("tenantry finishes")
    }

    /// Every file Tenantry wrote (list, cache, log), as text.
    fn written(&self) -> String {
        let mut text = String::new();
        for root in [&self.data, &self.config] {
            for path in files(root) {
                text.push_str(&String::from_utf8_lossy(&std::fs::read(path).expect("read")));
            }
        }
        text
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .flatten()
        .flat_map(|entry| if entry.path().is_dir() { files(&entry.path()) } else { vec![entry.path()] })
        .collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn cluster_json(home: &Home) -> serde_json::Value {
    let listed = home.run(&["clusters", "--json"], "");
    serde_json::from_slice(&listed.stdout).expect("clusters --json prints JSON")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cluster_added_by_token_is_reached_through_the_kernel_keyring() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fleet = Fleet::start(&dir.path().join("fleet"), &["key-1".to_owned()]).await.expect("a local cluster starts");
    let home = Home::new(dir.path());
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &fleet.clusters[0].ca_pem).expect("ca");
    let ca = ca.to_str().expect("utf-8 path");
    let server = fleet.clusters[0].server.as_str();
    let token = fleet.helpdesk_tokens[0].as_str();
    let name = format!("token-{}", std::process::id());
    let add = |server: &str, token: &str| {
        home.run(&["add-cluster", &name, "--server", server, "--certificate-authority", ca], token)
    };
    let outputs = std::cell::RefCell::new(String::new());
    let keep = |output: Output| {
        outputs.borrow_mut().push_str(&(text(&output.stdout) + &text(&output.stderr)));
        output
    };

    let rejected = keep(add(server, "not-a-real-token"));
    assert_eq!(rejected.status.code(), Some(1), "{}", text(&rejected.stderr));
    assert!(text(&rejected.stderr).contains("The cluster rejected this token"), "{}", text(&rejected.stderr));
    let plain = keep(add(&server.replace("https://", "http://"), token));
    assert_eq!(plain.status.code(), Some(2));
    assert!(text(&plain.stderr).contains("a token is never sent over plain http"), "{}", text(&plain.stderr));
    assert!(!home.config.join("clusters.yaml").exists(), "a refused cluster is not listed");
    assert!(Keyring::system().token(&name).is_err(), "a refused token is not stored");

    let added = keep(add(server, &format!("{token}\n")));
    assert_eq!(added.status.code(), Some(0), "{}", text(&added.stderr));
    assert_eq!(
        text(&added.stdout).trim(),
        format!(
            "Added {name} ({server}, Kubernetes v1.33.13) as system:serviceaccount:tenantry-system:tenantry-helpdesk; \
             its token is in the kernel keyring."
        )
    );
    let again = keep(add(server, token));
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("already exists"), "{}", text(&again.stderr));

    let listed = cluster_json(&home);
    let row = &listed["clusters"][0];
    assert_eq!((row["context"].as_str(), row["added"].as_bool()), (Some(name.as_str()), Some(true)), "{listed}");
    assert_eq!(row["probe"]["state"], "reachable", "{listed}");
    assert_eq!(row["probe"]["identity"], "system:serviceaccount:tenantry-system:tenantry-helpdesk");
    let tenants = keep(home.run(&["tenants", "--cluster", &name], ""));
    assert_eq!(tenants.status.code(), Some(0), "the added cluster's tenants are listed: {}", text(&tenants.stderr));

    Keyring::system().forget_token(&name).expect("token removed behind Tenantry's back");
    let listed = cluster_json(&home);
    assert_eq!(listed["clusters"][0]["probe"]["error"]["kind"], "unauthorized", "{listed}");
    let message = listed["clusters"][0]["probe"]["error"]["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains("no longer in the keyring"), "{message}");

    let removed = keep(home.run(&["remove-cluster", &name], ""));
    assert_eq!(removed.status.code(), Some(0), "{}", text(&removed.stderr));
    assert_eq!(cluster_json(&home)["clusters"], serde_json::json!([]));
    let unknown = keep(home.run(&["remove-cluster", &name], ""));
    assert_eq!(unknown.status.code(), Some(2));

    assert!(!home.written().contains(token), "the token is in a file Tenantry wrote");
    assert!(!outputs.borrow().contains(token), "the token was printed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_desktop_session_keeps_the_token_in_the_secret_service() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fleet = Fleet::start(&dir.path().join("fleet"), &["key-2".to_owned()]).await.expect("a local cluster starts");
    let home = Home::new(dir.path());
    std::fs::write(dir.path().join("ca.pem"), &fleet.clusters[0].ca_pem).expect("ca");
    std::fs::write(dir.path().join("token"), &fleet.helpdesk_tokens[0]).expect("token file for the script");
    // One private session bus with an unlocked GNOME Keyring (its files in the temp folder):
    // add the cluster, list it (a second process reads the token back), remove it.
    let script = format!(
        "echo unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null\n\
         \"$TENANTRY\" add-cluster desk --server {server} --certificate-authority ca.pem < token > add.out 2>&1\n\
         \"$TENANTRY\" clusters --json > clusters.json 2> clusters.err\n\
         \"$TENANTRY\" remove-cluster desk > remove.out 2>&1\n",
        server = fleet.clusters[0].server
    );
    let status = Command::new("dbus-run-session")
        .args(["--", "sh", "-ec", &script])
        .current_dir(dir.path())
        .envs(home.envs())
        .env("TENANTRY", env!("CARGO_BIN_EXE_tenantry"))
        .env("XDG_DATA_HOME", dir.path().join("xdg-data"))
        .env("XDG_RUNTIME_DIR", dir.path())
        .stdin(Stdio::null())
        .status()
        .expect("dbus-run-session runs (package dbus)");
    let read = |file: &str| std::fs::read_to_string(dir.path().join(file)).unwrap_or_default();
    assert!(status.success(), "session script failed: {}{}", read("add.out"), read("clusters.err"));
    assert!(read("add.out").contains("its token is in the Secret Service keyring"), "{}", read("add.out"));
    let listed: serde_json::Value = serde_json::from_str(&read("clusters.json")).expect("clusters --json");
    assert_eq!(listed["clusters"][0]["probe"]["state"], "reachable", "{listed}");
    assert!(read("remove.out").starts_with("Removed desk"), "{}", read("remove.out"));
    let stored = files(&dir.path().join("xdg-data")).len();
    assert!(stored > 0, "GNOME Keyring kept its collection in the temp folder");
    assert!(!home.written().contains(&fleet.helpdesk_tokens[0]), "the token is in a file Tenantry wrote");
}
