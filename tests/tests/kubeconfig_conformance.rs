//! The kubeconfig loader against kubectl. The project's own cases (`tests/fixtures/kubeconfigs`:
//! single files, and `merge/*/KUBECONFIG` lists) are each run through the kubectl that setup
//! builds, which is the oracle: `kubectl config view` says what loads and what it holds, and a
//! request against a closed port says how far using the current context gets. No expectation is
//! written by hand. When the shared conformance corpus (`../shared/testdata/kubeconfigs`) is
//! beside the checkout, its recorded kubectl results are checked too. Every disagreement is
//! listed; where Tenantry is deliberately stricter than kubectl, the rule is in [`classify`].

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tenantry_core::kubeconfig::{ContextError, Kubeconfig, Sources};
use tenantry_tests::binaries::Binaries;

/// How kubectl fared when it used the current context.
#[derive(Debug, PartialEq)]
enum Use {
    /// It got as far as the network: the configuration was accepted.
    Accepted,
    /// `current-context` names no context.
    DanglingCurrent,
    /// The configuration was refused before any request.
    Broken,
    /// Credentials failed while connecting (exec plugin or OIDC token): decided at probe time.
    AtConnect,
}

/// What kubectl's message on using the current context means. Deliberately stricter than
/// kubectl: where kubectl silently falls back to `http://localhost:8080` (no current context, or
/// a context naming no cluster or a missing one) Tenantry calls the context broken.
fn classify(message: &str) -> Use {
    if message.contains("context was not found for specified context") {
        Use::DanglingCurrent
    } else if message.contains("localhost:8080") {
        Use::Broken
    } else if message.contains("getting credentials") || message.contains("ID Token") {
        Use::AtConnect
    } else if message.contains("Unable to connect to the server") || message.contains("The connection to the server") {
        Use::Accepted
    } else {
        Use::Broken
    }
}

/// One context as kubectl resolves it.
#[derive(Debug)]
struct ExpectedContext {
    cluster: String,
    /// The context names a cluster the file does not define.
    missing: bool,
    server: String,
    user: String,
    namespace: Option<String>,
    auth: String,
}

/// What kubectl does with one case.
#[derive(Debug)]
struct Expected {
    loads: bool,
    load_error: String,
    current_context: Option<String>,
    clusters: Vec<String>,
    users: Vec<String>,
    contexts: BTreeMap<String, ExpectedContext>,
    use_message: String,
}

/// A case: a file given explicitly, or a `KUBECONFIG` list.
enum Case {
    Explicit(PathBuf),
    List(OsString),
}

impl Case {
    fn sources(&self) -> Sources {
        match self {
            Self::Explicit(path) => Sources::Explicit(path.clone()),
            Self::List(list) => Sources::from_parts(Some(list), Path::new("/nonexistent-home")),
        }
    }

    /// `kubectl ARGS` for this case, with an empty home and no inherited kubeconfig.
    fn kubectl(&self, kubectl: &Path, home: &Path, args: &[&str]) -> std::process::Output {
        let mut command = Command::new(kubectl);
        command.env_clear().env("HOME", home).env("PATH", "/usr/bin:/bin");
        match self {
            Self::Explicit(path) => {
                command.arg("--kubeconfig").arg(path);
            }
            Self::List(list) => {
                command.env("KUBECONFIG", list);
            }
        }
        command.args(args).output().expect("kubectl runs")
    }
}

/// Asks kubectl what it does with `case`.
fn ask_kubectl(kubectl: &Path, case: &Case) -> Expected {
    let home = tempfile::tempdir().expect("home");
    let view = case.kubectl(kubectl, home.path(), &["config", "view", "--raw", "-o", "json"]);
    let used = case.kubectl(kubectl, home.path(), &["get", "--raw", "/version", "--request-timeout=3s"]);
    let use_message = String::from_utf8_lossy(&used.stderr).trim().to_owned();
    if !view.status.success() {
        return Expected {
            loads: false,
            load_error: String::from_utf8_lossy(&view.stderr).trim().to_owned(),
            current_context: None,
            clusters: Vec::new(),
            users: Vec::new(),
            contexts: BTreeMap::new(),
            use_message,
        };
    }
    let config: Value = serde_json::from_slice(&view.stdout).expect("kubectl prints JSON");
    let named = |list: &str| -> BTreeMap<String, Value> {
        config[list]
            .as_array()
            .into_iter()
            .flatten()
            .map(|item| (item["name"].as_str().unwrap_or_default().to_owned(), item.clone()))
            .collect()
    };
    let (clusters, users) = (named("clusters"), named("users"));
    let contexts = named("contexts")
        .into_iter()
        .map(|(name, item)| {
            let context = &item["context"];
            let text = |key: &str| context[key].as_str().unwrap_or_default().to_owned();
            let cluster = text("cluster");
            let user = text("user");
            let server = clusters.get(&cluster).and_then(|c| c["cluster"]["server"].as_str()).unwrap_or_default();
            let auth = match (user.is_empty(), users.get(&user)) {
                (true, _) => "no user ref".to_owned(),
                (false, None) => "MISSING-USER".to_owned(),
                (false, Some(entry)) => auth_of(&entry["user"]),
            };
            let found = ExpectedContext {
                missing: !clusters.contains_key(&cluster),
                server: server.to_owned(),
                namespace: Some(text("namespace")).filter(|n| !n.is_empty()),
                cluster,
                user,
                auth,
            };
            (name, found)
        })
        .collect();
    Expected {
        loads: true,
        load_error: String::new(),
        current_context: config["current-context"].as_str().filter(|c| !c.is_empty()).map(str::to_owned),
        clusters: clusters.into_keys().collect(),
        users: users.into_keys().collect(),
        contexts,
        use_message,
    }
}

/// The authentication methods of a user entry as `kubectl config view` prints it, named and
/// ordered as Tenantry names them.
fn auth_of(user: &Value) -> String {
    let set = |key: &str| user.get(key).is_some_and(|v| !v.is_null() && v.as_str() != Some(""));
    let mut methods = Vec::new();
    if set("exec") {
        let version = user["exec"]["apiVersion"].as_str().filter(|v| !v.is_empty());
        methods.push(version.map_or_else(|| "exec(no-apiVersion)".to_owned(), |v| format!("exec({v})")));
    }
    if set("auth-provider") {
        methods.push(format!("auth-provider({})", user["auth-provider"]["name"].as_str().unwrap_or_default()));
    }
    for (key, name) in [("token", "token"), ("tokenFile", "tokenFile")] {
        if set(key) {
            methods.push(name.to_owned());
        }
    }
    if set("username") || set("password") {
        methods.push("basic".to_owned());
    }
    if set("client-certificate-data") {
        methods.push("client-cert-data".to_owned());
    } else if set("client-certificate") {
        methods.push("client-cert-file".to_owned());
    }
    if methods.is_empty() { "none".to_owned() } else { methods.join("+") }
}

/// The shared corpus's recorded kubectl result for one case.
fn recorded(case: &Value) -> Expected {
    let strings = |value: &Value| -> Vec<String> {
        value.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect()
    };
    let contexts = case["contexts"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, expected)| {
            let cluster = expected["cluster"].as_str().unwrap_or_default();
            let (cluster, missing) = match cluster.strip_suffix(" MISSING") {
                Some(quoted) => (quoted.trim_matches('\'').to_owned(), true),
                None => (cluster.to_owned(), false),
            };
            let text = |key: &str| expected[key].as_str().unwrap_or_default().to_owned();
            let found = ExpectedContext {
                cluster,
                missing,
                server: text("server"),
                user: text("user"),
                namespace: Some(text("namespace")).filter(|n| !n.is_empty()),
                auth: text("auth"),
            };
            (name.clone(), found)
        })
        .collect();
    Expected {
        loads: case["loads"].as_bool().unwrap_or(true),
        load_error: case["load_error"].to_string(),
        current_context: case["current_context"].as_str().filter(|c| !c.is_empty()).map(str::to_owned),
        clusters: strings(&case["clusters"]),
        users: strings(&case["users"]),
        contexts,
        use_message: case["use_current"].as_str().unwrap_or_default().to_owned(),
    }
}

/// Every way Tenantry's loader disagrees with `expected` on `case`.
async fn disagreements(name: &str, case: &Case, expected: &Expected) -> Vec<String> {
    let mut wrong = Vec::new();
    let kubeconfig = match (Kubeconfig::load(&case.sources()), expected.loads) {
        (Ok(kubeconfig), true) => kubeconfig,
        (Err(_), false) => return wrong,
        (Ok(_), false) => return vec![format!("{name}: loaded, kubectl refuses: {}", expected.load_error)],
        (Err(err), true) => return vec![format!("{name}: refused ({err}), kubectl loads it")],
    };
    if kubeconfig.current_context != expected.current_context {
        wrong.push(format!(
            "{name}: current context {:?}, kubectl {:?}",
            kubeconfig.current_context, expected.current_context
        ));
    }
    let mut clusters: Vec<&str> = kubeconfig.cluster_names().collect();
    clusters.sort_unstable();
    if clusters != expected.clusters {
        wrong.push(format!("{name}: clusters {clusters:?}, kubectl {:?}", expected.clusters));
    }
    let mut users: Vec<&str> = kubeconfig.user_names().collect();
    users.sort_unstable();
    if users != expected.users {
        wrong.push(format!("{name}: users {users:?}, kubectl {:?}", expected.users));
    }
    let entries = kubeconfig.contexts();
    let mut names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    names.sort_unstable();
    let expected_names: Vec<&str> = expected.contexts.keys().map(String::as_str).collect();
    if names != expected_names {
        wrong.push(format!("{name}: contexts {names:?}, kubectl {expected_names:?}"));
    }
    for entry in &entries {
        let Some(context) = expected.contexts.get(&entry.name) else { continue };
        let missing = matches!(entry.problem, Some(ContextError::MissingCluster { .. }));
        if entry.cluster != context.cluster || missing != context.missing {
            wrong.push(format!(
                "{name}/{}: cluster {:?} (missing: {missing}), kubectl {:?} (missing: {})",
                entry.name, entry.cluster, context.cluster, context.missing
            ));
        }
        if !context.missing && entry.server.as_deref().unwrap_or_default() != context.server {
            wrong.push(format!("{name}/{}: server {:?}, kubectl {:?}", entry.name, entry.server, context.server));
        }
        if entry.user != context.user {
            wrong.push(format!("{name}/{}: user {:?}, kubectl {:?}", entry.name, entry.user, context.user));
        }
        if entry.namespace != context.namespace {
            wrong.push(format!(
                "{name}/{}: namespace {:?}, kubectl {:?}",
                entry.name, entry.namespace, context.namespace
            ));
        }
        if entry.auth.to_string() != context.auth {
            wrong.push(format!("{name}/{}: auth {}, kubectl {}", entry.name, entry.auth, context.auth));
        }
    }
    let expected_use = classify(&expected.use_message);
    let current = entries.iter().find(|e| e.current);
    let (got_use, problem) = match (current, kubeconfig.current_context_dangles()) {
        (_, true) => (Use::DanglingCurrent, None),
        (None, false) => (Use::Broken, None),
        (Some(entry), false) => match entry.client_config().await {
            Ok(_) => (Use::Accepted, None),
            Err(error) => (Use::Broken, Some(tenantry_core::error::chain(&error))),
        },
    };
    let agrees = got_use == expected_use || (expected_use == Use::AtConnect && got_use == Use::Accepted);
    if !agrees {
        wrong.push(format!(
            "{name}: using the current context: {got_use:?} ({problem:?}), kubectl {expected_use:?}: {}",
            expected.use_message
        ));
    }
    wrong
}

/// The project's own cases: every `*.yaml` under the fixtures folder outside `merge/` (given
/// explicitly), and every `merge/*/KUBECONFIG` list (its entries relative to its folder).
fn own_cases() -> Vec<(String, Case)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/kubeconfigs");
    let mut cases = Vec::new();
    let mut folders = vec![root.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("fixtures folder").flatten() {
            let path = entry.path();
            let name = path.strip_prefix(&root).expect("inside").display().to_string();
            if path.is_dir() && name != "merge" {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                cases.push((name, Case::Explicit(path)));
            }
        }
    }
    for entry in std::fs::read_dir(root.join("merge")).expect("merge folder").flatten() {
        let folder = entry.path();
        let list = std::fs::read_to_string(folder.join("KUBECONFIG")).expect("a KUBECONFIG list");
        let absolute: Vec<String> = list
            .trim_end_matches('\n')
            .split(':')
            .map(|item| if item.is_empty() { String::new() } else { folder.join(item).display().to_string() })
            .collect();
        let name = format!("merge/{}", entry.file_name().to_string_lossy());
        cases.push((name, Case::List(absolute.join(":").into())));
    }
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    cases
}

#[tokio::test]
async fn loader_agrees_with_kubectl_on_the_projects_own_cases() {
    let kubectl = Binaries::ensure().expect("the local-cluster binaries").path("kubectl");
    let cases = own_cases();
    assert!(cases.len() >= 60, "only {} own cases found", cases.len());
    let mut wrong = Vec::new();
    for (name, case) in &cases {
        let expected = ask_kubectl(&kubectl, case);
        wrong.extend(disagreements(name, case, &expected).await);
    }
    assert!(wrong.is_empty(), "{} disagreements with kubectl:\n{}", wrong.len(), wrong.join("\n"));
}

#[tokio::test]
async fn loader_agrees_with_kubectl_on_the_shared_corpus_when_present() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/kubeconfigs");
    let Ok(text) = std::fs::read_to_string(dir.join("expectations.json")) else {
        eprintln!("the shared corpus is not beside this checkout; only the project's own cases were checked");
        return;
    };
    let cases: serde_json::Map<String, Value> = serde_json::from_str(&text).expect("expectations.json is JSON");
    let mut wrong = Vec::new();
    for (name, case) in cases.iter().filter(|(name, _)| !name.starts_with('_')) {
        let sources = match case.get("KUBECONFIG").and_then(Value::as_str) {
            Some(list) => {
                let absolute: Vec<String> = list.split(':').map(|p| dir.join(p).display().to_string()).collect();
                Case::List(absolute.join(":").into())
            }
            None => Case::Explicit(dir.join(name)),
        };
        wrong.extend(disagreements(name, &sources, &recorded(case)).await);
    }
    assert!(wrong.is_empty(), "{} disagreements with kubectl:\n{}", wrong.len(), wrong.join("\n"));
}
