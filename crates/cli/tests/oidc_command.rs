//! OIDC `auth-provider` kubeconfig entries against a real issuer (Dex, HTTPS, rotating refresh
//! tokens each accepted once) and an API server that trusts it: a valid id-token is used as it
//! is and the file left alone; an expired or refused one is renewed with the refresh token and
//! both new tokens are written back (kubectl reads the file after); two processes renewing at
//! once both succeed (kubectl's lock, the file read again); a spent refresh token or none at all
//! is one clear sentence. No token appears in any output or in Tenantry's files.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use tenantry_tests::binaries::Binaries;
use tenantry_tests::cluster::LocalCluster;
use tenantry_tests::dex::{self, Dex};

/// The OIDC user's context, and the admin's beside it in the same file.
const CONTEXT: &str = "oidc";

struct Setup {
    dir: PathBuf,
    kubeconfig: PathBuf,
    data: PathBuf,
    dex: Dex,
    cluster: LocalCluster,
}

impl Setup {
    /// Writes the kubeconfig with the OIDC entry holding `id_token` and `refresh_token`.
    fn write_kubeconfig(&self, id_token: Option<&str>, refresh_token: Option<&str>) {
        use std::os::unix::fs::PermissionsExt as _;
        let token = |key: &str, value: Option<&str>| value.map(|v| format!("        {key}: {v}\n")).unwrap_or_default();
        let text = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: {CONTEXT}\n\
             clusters:\n- name: oidc-1\n  cluster:\n    server: {server}\n    certificate-authority: {ca}\n\
             users:\n- name: ann\n  user:\n    auth-provider:\n      name: oidc\n      config:\n\
             \x20       idp-issuer-url: {issuer}\n        client-id: {client}\n        client-secret: {secret}\n\
             \x20       idp-certificate-authority: {idp_ca}\n{id}{refresh}\
             - name: admin\n  user:\n    token: {admin}\n\
             contexts:\n- name: {CONTEXT}\n  context:\n    cluster: oidc-1\n    user: ann\n\
             - name: admin\n  context:\n    cluster: oidc-1\n    user: admin\n",
            server = self.cluster.server,
            ca = self.cluster.dir.join("pki/apiserver.crt").display(),
            issuer = self.dex.issuer,
            client = dex::CLIENT_ID,
            secret = self.dex.client_secret,
            idp_ca = self.dex.ca_file.display(),
            id = token("id-token", id_token),
            refresh = token("refresh-token", refresh_token),
            admin = self.cluster.admin_token,
        );
        std::fs::write(&self.kubeconfig, text).expect("write the kubeconfig");
        std::fs::set_permissions(&self.kubeconfig, std::fs::Permissions::from_mode(0o600)).expect("make it private");
    }

    fn tenantry(&self, args: &[&str]) -> Output {
        tenantry_tests::command::tenantry(env!("CARGO_BIN_EXE_tenantry"), &self.kubeconfig, &self.data)
            .args(args)
            .output()
            .expect("tenantry runs")
    }

    /// The OIDC context's row of `tenantry clusters --json`, with the whole output.
    fn probe(&self) -> (serde_json::Value, Output) {
        let output = self.tenantry(&["clusters", "--json", "--timeout", "20"]);
        (row(&output), output)
    }

    /// The OIDC entry's tokens in the kubeconfig now: (id-token, refresh-token).
    fn written(&self) -> (Option<String>, Option<String>) {
        let text = std::fs::read_to_string(&self.kubeconfig).expect("kubeconfig");
        let file: serde_yaml::Value = serde_yaml::from_str(&text).expect("still YAML");
        let config = &file["users"][0]["user"]["auth-provider"]["config"];
        let token = |key: &str| config[key].as_str().map(str::to_owned);
        (token("id-token"), token("refresh-token"))
    }
}

/// The OIDC context's row in `clusters --json` output.
fn row(output: &Output) -> serde_json::Value {
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("clusters --json is JSON: {}", String::from_utf8_lossy(&output.stderr)));
    json["clusters"].as_array().expect("rows").iter().find(|row| row["context"] == CONTEXT).expect("row").clone()
}

/// A JSON web token shaped like Dex's, whose `exp` has passed (its signature is not real:
/// Tenantry must renew without sending it).
fn expired_token(issuer: &str) -> String {
    use base64::Engine as _;
    let encode = |json: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
    let claims =
        format!(r#"{{"iss":"{issuer}","sub":"ann","aud":"tenantry","exp":1600000000,"email":"{}"}}"#, dex::EMAIL);
    format!("{}.{}.c2lnbmF0dXJl", encode(r#"{"alg":"RS256","typ":"JWT"}"#), encode(&claims))
}

/// `token` with its signature changed: well formed and unexpired, refused by the API server.
fn forged(token: &str) -> String {
    let (signed, signature) = token.rsplit_once('.').expect("a JWT");
    let flipped: String = signature.chars().rev().collect();
    format!("{signed}.{flipped}")
}

fn assert_no_token(output: &Output, tokens: &[&str], case: &str) {
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    for token in tokens {
        assert!(!text.contains(token), "{case}: a token appears in the output");
    }
}

/// Every file under `dir` (Tenantry's cache, logs and settings).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() { found.extend(files_under(&path)) } else { found.push(path) }
    }
    found
}

/// Waits until the API server accepts the issuer's id-tokens (it fetches the issuer's keys
/// after it starts).
async fn wait_for_oidc(cluster: &LocalCluster, id_token: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let ca = cluster.dir.join("pki/apiserver.crt");
    loop {
        let status = std::process::Command::new("curl")
            .args(["--silent", "--output", "/dev/null", "--write-out", "%{http_code}", "--cacert"])
            .arg(&ca)
            .args(["-H", &format!("Authorization: Bearer {id_token}")])
            .arg(format!("{}/api/v1/namespaces", cluster.server))
            .output()
            .expect("curl runs");
        if status.stdout == b"200" {
            return;
        }
        assert!(Instant::now() < deadline, "the API server never accepted Dex's id-tokens");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn oidc_entries_renew_with_the_issuer_and_write_back_like_kubectl() {
    let dir = tempfile::tempdir().expect("temp dir");
    let binaries = Binaries::ensure().expect("the cluster binaries are built");
    let dex = Dex::start(&dir.path().join("dex")).await.expect("Dex starts");
    let cluster = LocalCluster::start_with(&binaries, "oidc-1", &dir.path().join("cluster"), &dex.apiserver_args())
        .await
        .expect("a cluster trusting Dex starts");
    let admin = cluster.admin_client().await.expect("admin client");
    let bindings = kube::Api::<k8s_openapi::api::rbac::v1::ClusterRoleBinding>::all(admin);
    tenantry_tests::apply::apply(
        bindings,
        "oidc-test",
        "ann-admin",
        serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "ann-admin"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": dex::EMAIL}],
        }),
    )
    .await
    .expect("ann may do everything");
    let setup = Setup {
        kubeconfig: dir.path().join("kube/config"),
        data: dir.path().join("data"),
        dir: dir.path().to_owned(),
        dex,
        cluster,
    };
    std::fs::create_dir_all(setup.dir.join("kube")).expect("kube folder");
    let signed_in = setup.dex.sign_in().expect("ann signs in at Dex");
    wait_for_oidc(&setup.cluster, &signed_in.id_token).await;

    // A valid id-token is sent as it is: no renewal, the file untouched.
    setup.write_kubeconfig(Some(&signed_in.id_token), Some(&signed_in.refresh_token));
    let before = std::fs::read(&setup.kubeconfig).expect("kubeconfig");
    let (oidc, output) = setup.probe();
    assert_eq!(oidc["probe"]["identity"], dex::EMAIL, "the server knows ann by her id-token: {oidc}");
    assert_eq!(std::fs::read(&setup.kubeconfig).expect("kubeconfig"), before, "nothing to renew, nothing written");
    assert_no_token(&output, &[&signed_in.id_token, &signed_in.refresh_token], "valid id-token");

    // An expired id-token is renewed before anything is sent; both new tokens go back to the file.
    let expired = expired_token(&setup.dex.issuer);
    setup.write_kubeconfig(Some(&expired), Some(&signed_in.refresh_token));
    let (oidc, output) = setup.probe();
    assert_eq!(oidc["probe"]["identity"], dex::EMAIL, "renewed: {oidc}");
    let (renewed_id, renewed_refresh) = setup.written();
    let renewed_id = renewed_id.expect("the renewed id-token is written back");
    let renewed_refresh = renewed_refresh.expect("the refresh token is kept");
    assert_ne!(renewed_id, expired);
    assert_ne!(renewed_refresh, signed_in.refresh_token, "Dex rotated the refresh token and the new one was kept");
    assert_no_token(&output, &[&signed_in.refresh_token, &renewed_id, &renewed_refresh], "expired id-token");
    let text = std::fs::read_to_string(&setup.kubeconfig).expect("kubeconfig");
    assert!(text.contains(&setup.cluster.admin_token), "the rest of the file is kept");
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&setup.kubeconfig).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the kubeconfig stays private");
    assert!(!setup.dir.join("kube/config.lock").exists(), "kubectl's lock is released");
    let kubectl = std::process::Command::new(binaries.path("kubectl"))
        .args(["--kubeconfig"])
        .arg(&setup.kubeconfig)
        .args(["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"])
        .output()
        .expect("kubectl runs");
    assert_eq!(String::from_utf8_lossy(&kubectl.stdout), dex::EMAIL, "kubectl signs in with what Tenantry wrote back");

    // An id-token the server refuses (a changed signature) is replaced once, then the request goes through.
    let refused = forged(&renewed_id);
    setup.write_kubeconfig(Some(&refused), Some(&renewed_refresh));
    let (oidc, _) = setup.probe();
    assert_eq!(oidc["probe"]["identity"], dex::EMAIL, "a 401 renews once: {oidc}");
    let (after_refusal, latest_refresh) = setup.written();
    assert!(after_refusal.is_some_and(|token| token != refused), "the refused id-token was replaced in the file");

    // Three processes needing a renewal at once, meeting at a frozen issuer: the first renews
    // under kubectl's lock, the others wait for it, read the file again and use its token (each
    // replaying the spent refresh token would be refused).
    let latest_refresh = latest_refresh.expect("a refresh token");
    setup.write_kubeconfig(None, Some(&latest_refresh));
    setup.dex.freeze();
    let processes: Vec<_> = (0..3)
        .map(|_| {
            tenantry_tests::command::tenantry(env!("CARGO_BIN_EXE_tenantry"), &setup.kubeconfig, &setup.data)
                .args(["clusters", "--json", "--timeout", "25"])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("a process starts")
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    setup.dex.thaw();
    for process in processes {
        let output = process.wait_with_output().expect("the process ends");
        assert_eq!(row(&output)["probe"]["identity"], dex::EMAIL, "each process signs in: {}", row(&output));
    }

    // A spent refresh token: one sentence saying the issuer refused it and to sign in again.
    setup.write_kubeconfig(Some(&expired), Some(&signed_in.refresh_token));
    let before = std::fs::read(&setup.kubeconfig).expect("kubeconfig");
    let (oidc, output) = setup.probe();
    let detail = oidc["probe"]["error"]["detail"].as_str().unwrap_or_default().to_owned();
    for part in [setup.dex.issuer.as_str(), "refused to renew", "sign in again"] {
        assert!(detail.contains(part), "the refusal names {part}: {detail}");
    }
    assert_eq!(std::fs::read(&setup.kubeconfig).expect("kubeconfig"), before, "a refusal writes nothing");
    assert_no_token(&output, &[&signed_in.refresh_token, &expired], "spent refresh token");

    // No refresh token at all.
    setup.write_kubeconfig(Some(&expired), None);
    let (oidc, _) = setup.probe();
    let detail = oidc["probe"]["error"]["detail"].as_str().unwrap_or_default().to_owned();
    assert!(detail.contains("holds no refresh-token"), "{detail}");

    let (last_id, last_refresh) = setup.written();
    let mut secrets = vec![signed_in.id_token.clone(), signed_in.refresh_token.clone(), renewed_id, renewed_refresh];
    secrets.extend(last_id.into_iter().chain(last_refresh));
    for file in files_under(&setup.data) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "a token landed in {}", file.display());
        }
    }
}
