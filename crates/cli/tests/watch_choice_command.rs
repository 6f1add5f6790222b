//! A large kubeconfig is never connected to as a whole: with 26 contexts (21 of them pointing at
//! a port that counts every connection, each with a credential plugin that counts its runs),
//! `tenants` and `clusters` touch only the current context's cluster; the second real cluster's
//! API server logs no request of its identity until the user chooses it (`clusters --watch`),
//! and then the fleet watches it through that identity, and stops when told to.

use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tenantry_tests::cluster::LocalCluster;
use tenantry_tests::fleet::Fleet;

/// Contexts pointing at the counting port: more than the 20 up to which every context is watched.
const UNCHOSEN: usize = 21;

fn tenantry(kubeconfig: &Path, data: &Path, args: &[&str]) -> Output {
    tenantry_tests::command::tenantry(env!("CARGO_BIN_EXE_tenantry"), kubeconfig, data)
        .args(args)
        .output()
        .expect("tenantry runs")
}

/// `CLUSTER/ID` of every tenant `tenants --json` printed that is live.
fn tenant_ids(output: &Output) -> Vec<String> {
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "tenants --json is JSON: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let mut ids: Vec<String> = json["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .filter(|t| t["freshness"]["state"] == "live")
        .map(|t| format!("{}/{}", t["cluster"].as_str().unwrap_or_default(), t["id"].as_str().unwrap_or_default()))
        .collect();
    ids.sort();
    ids
}

/// The kubeconfig: `w-1` (admin, current) and `w-2` (the audited identity) on the real clusters,
/// `w-2-plugin` (running `plugin`) on the second, and the unchosen contexts on `port` (the first
/// running `plugin`, the others with a token).
fn kubeconfig(dir: &Path, fleet: &Fleet, port: u16, plugin: &Path) -> std::path::PathBuf {
    let ca = |cluster: &LocalCluster| {
        let path = dir.join(format!("{}.pem", cluster.name));
        std::fs::write(&path, &cluster.ca_pem).expect("write the CA");
        path.display().to_string()
    };
    let [one, two] = [&fleet.clusters[0], &fleet.clusters[1]];
    let mut text = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: w-1\nclusters:\n\
         - name: w-1\n  cluster: {{server: '{}', certificate-authority: '{}'}}\n\
         - name: w-2\n  cluster: {{server: '{}', certificate-authority: '{}'}}\n\
         - name: far\n  cluster: {{server: 'https://127.0.0.1:{port}'}}\n\
         users:\n- name: admin\n  user: {{token: {}}}\n- name: audited\n  user: {{token: {}}}\n\
         - name: far-user\n  user: {{token: a-token-nobody-knows}}\n\
         - name: plugin\n  user:\n    exec: {{apiVersion: client.authentication.k8s.io/v1, command: '{}', interactiveMode: Never}}\n\
         contexts:\n- name: w-1\n  context: {{cluster: w-1, user: admin}}\n- name: w-2\n  context: {{cluster: w-2, user: audited}}\n\
         - name: w-2-plugin\n  context: {{cluster: w-2, user: plugin}}\n",
        one.server,
        ca(one),
        two.server,
        ca(two),
        one.admin_token,
        two.audited_token,
        plugin.display(),
    );
    for n in 0..UNCHOSEN {
        let user = if n == 0 { "plugin" } else { "far-user" };
        text.push_str(&format!("- name: far-{n:02}\n  context: {{cluster: far, user: {user}}}\n"));
    }
    let path = dir.join("kubeconfig");
    std::fs::write(&path, text).expect("write the kubeconfig");
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_chosen_clusters_are_ever_connected_to() {
    let dir = tempfile::tempdir().expect("temp dir");
    let names = ["w-1".to_owned(), "w-2".to_owned()];
    let fleet = Fleet::start(&dir.path().join("fleet"), &names).await.expect("two local clusters start");
    for cluster in &fleet.clusters {
        tenantry_tests::seed::seed(&cluster.admin_client().await.expect("admin"), 2, 1).await.expect("seeded");
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a counting port");
    let port = listener.local_addr().expect("address").port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&connections);
    let counter = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    let plugin = dir.path().join("counting-plugin");
    let runs = dir.path().join("plugin-runs");
    tenantry_tests::script::write_script(&plugin, &format!("echo run >> '{}'\nexit 1", runs.display()))
        .expect("plugin");
    let kubeconfig = kubeconfig(dir.path(), &fleet, port, &plugin);
    let data = dir.path().join("data");
    let audited = || fleet.clusters[1].audited_requests();
    let before = audited();

    let tenants = tenantry(&kubeconfig, &data, &["tenants", "--json"]);
    let ids = tenant_ids(&tenants);
    assert!(
        !ids.is_empty() && ids.iter().all(|id| id.starts_with("w-1/")),
        "only the current context's tenants: {ids:?}"
    );
    let listed = tenantry(&kubeconfig, &data, &["clusters", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("clusters --json");
    let rows = json["clusters"].as_array().expect("rows");
    assert_eq!(rows.len(), UNCHOSEN + 3, "every context is listed");
    let unchecked = rows.iter().filter(|row| row["probe"]["state"] == "unchecked").count();
    assert_eq!(unchecked, UNCHOSEN + 2, "all but the current context are listed unchecked");
    assert_eq!(connections.load(Ordering::SeqCst), 0, "no connection to a context nobody chose");
    assert!(!runs.exists(), "no credential plugin of a context nobody chose ran");
    assert_eq!(audited(), before, "the unchosen cluster's API server saw no request of its identity");

    // Chosen, the second cluster is watched through the chosen identity; the others stay untouched.
    let chosen = tenantry(&kubeconfig, &data, &["clusters", "--watch", "w-2", "--json"]);
    assert!(chosen.status.success(), "{}", String::from_utf8_lossy(&chosen.stderr));
    let ids = tenant_ids(&tenantry(&kubeconfig, &data, &["tenants", "--json"]));
    assert!(ids.iter().any(|id| id.starts_with("w-2/")), "the chosen cluster's tenants are listed: {ids:?}");
    assert!(audited() > before, "the chosen identity reached its API server");
    assert_eq!(connections.load(Ordering::SeqCst), 0);
    assert!(!runs.exists(), "the other identity of the same server was not used");

    let refused = tenantry(&kubeconfig, &data, &["clusters", "--watch", "no-such-context"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no context \"no-such-context\""));

    // Checking every context on request reaches them (and shows the check can see a connection).
    tenantry(&kubeconfig, &data, &["clusters", "--unwatch", "w-2", "--all", "--timeout", "3"]);
    assert!(connections.load(Ordering::SeqCst) > 0, "--all probes the unchosen contexts");
    assert!(runs.exists(), "and runs their plugins");
    let ids = tenant_ids(&tenantry(&kubeconfig, &data, &["tenants", "--json"]));
    assert!(ids.iter().all(|id| id.starts_with("w-1/")), "unwatched again, no live row of w-2: {ids:?}");
    counter.abort();
}
