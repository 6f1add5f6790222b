//! The loader against the shared conformance corpus: real kubeconfigs with kubectl's recorded
//! behaviour (`shared/testdata/kubeconfigs/expectations.json`). Every disagreement is listed.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tenantry_core::kubeconfig::{ContextError, Kubeconfig, Sources};

fn corpus_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/kubeconfigs");
    dir.canonicalize().unwrap_or_else(|err| panic!("conformance corpus missing at {}: {err}", dir.display()))
}

/// How kubectl fared when it used the current context.
#[derive(Debug, PartialEq)]
enum Use {
    /// It got as far as the network: the configuration was accepted.
    Accepted,
    /// `current-context` names no context.
    DanglingCurrent,
    /// The configuration was refused before any request, or names no cluster (where kubectl
    /// falls back to `http://localhost:8080`, Tenantry calls the context broken).
    Broken,
    /// Credentials failed while connecting (exec plugin or OIDC token): decided at probe time.
    AtConnect,
}

fn classify(message: &str) -> Use {
    if message.starts_with("Error in configuration: context was not found") {
        Use::DanglingCurrent
    } else if message.contains("localhost:8080") {
        Use::Broken
    } else if message.contains("getting credentials") || message.contains("ID Token") {
        Use::AtConnect
    } else if message.starts_with("Unable to connect to the server")
        || message.starts_with("The connection to the server")
    {
        Use::Accepted
    } else {
        Use::Broken
    }
}

fn sources(dir: &Path, name: &str, case: &Value) -> Sources {
    match case.get("KUBECONFIG").and_then(Value::as_str) {
        Some(list) => Sources::List(list.split(':').map(|p| dir.join(p)).collect()),
        None => Sources::Explicit(dir.join(name)),
    }
}

fn str_list(value: &Value) -> Vec<String> {
    value.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect()
}

async fn check_case(dir: &Path, name: &str, case: &Value) -> Vec<String> {
    let mut wrong = Vec::new();
    let loaded = Kubeconfig::load(&sources(dir, name, case));
    let expect_loads = case["loads"].as_bool().unwrap_or(true);
    let kubeconfig = match (loaded, expect_loads) {
        (Ok(kubeconfig), true) => kubeconfig,
        (Err(_), false) => return wrong,
        (Ok(_), false) => return vec![format!("{name}: loaded, kubectl refuses: {}", case["load_error"])],
        (Err(err), true) => return vec![format!("{name}: refused ({err}), kubectl loads it")],
    };
    let current = case["current_context"].as_str().filter(|c| !c.is_empty()).map(str::to_owned);
    if kubeconfig.current_context != current {
        wrong.push(format!("{name}: current context {:?}, kubectl {current:?}", kubeconfig.current_context));
    }
    let clusters: Vec<String> = kubeconfig.cluster_names().map(str::to_owned).collect();
    if clusters != str_list(&case["clusters"]) {
        wrong.push(format!("{name}: clusters {clusters:?}, kubectl {:?}", case["clusters"]));
    }
    let users: Vec<String> = kubeconfig.user_names().map(str::to_owned).collect();
    if users != str_list(&case["users"]) {
        wrong.push(format!("{name}: users {users:?}, kubectl {:?}", case["users"]));
    }
    let entries = kubeconfig.contexts();
    let expected_contexts = case["contexts"].as_object().cloned().unwrap_or_default();
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    let expected_names: Vec<&str> = expected_contexts.keys().map(String::as_str).collect();
    if names != expected_names {
        wrong.push(format!("{name}: contexts {names:?}, kubectl {expected_names:?}"));
    }
    for entry in &entries {
        let Some(expected) = expected_contexts.get(&entry.name) else { continue };
        let cluster = expected["cluster"].as_str().unwrap_or_default();
        let (cluster, missing) = match cluster.strip_suffix(" MISSING") {
            Some(quoted) => (quoted.trim_matches('\'').to_owned(), true),
            None => (cluster.to_owned(), false),
        };
        let got_missing = matches!(entry.problem, Some(ContextError::MissingCluster { .. }));
        if entry.cluster != cluster || got_missing != missing {
            wrong.push(format!(
                "{name}/{}: cluster {:?} (missing: {got_missing}), kubectl {}",
                entry.name, entry.cluster, expected["cluster"]
            ));
        }
        if !missing && entry.server.as_deref().unwrap_or_default() != expected["server"].as_str().unwrap_or_default() {
            wrong.push(format!("{name}/{}: server {:?}, kubectl {}", entry.name, entry.server, expected["server"]));
        }
        if entry.user != expected["user"].as_str().unwrap_or_default() {
            wrong.push(format!("{name}/{}: user {:?}, kubectl {}", entry.name, entry.user, expected["user"]));
        }
        if entry.namespace.as_deref() != expected["namespace"].as_str().filter(|n| !n.is_empty()) {
            wrong.push(format!(
                "{name}/{}: namespace {:?}, kubectl {}",
                entry.name, entry.namespace, expected["namespace"]
            ));
        }
        if entry.auth.to_string() != expected["auth"].as_str().unwrap_or_default() {
            wrong.push(format!("{name}/{}: auth {}, kubectl {}", entry.name, entry.auth, expected["auth"]));
        }
    }
    let use_message = case["use_current"].as_str().unwrap_or_default();
    let expected_use = classify(use_message);
    let current_entry = entries.iter().find(|e| e.current);
    let got_use = match (current_entry, kubeconfig.current_context_dangles()) {
        (_, true) => Use::DanglingCurrent,
        (None, false) => Use::Broken,
        (Some(entry), false) => match entry.client_config().await {
            Ok(_) => Use::Accepted,
            Err(_) => Use::Broken,
        },
    };
    let agrees = got_use == expected_use || (expected_use == Use::AtConnect && got_use == Use::Accepted);
    if !agrees {
        let problem = current_entry.and_then(|e| e.problem.as_ref()).map(|p| tenantry_core::error::chain(p));
        wrong.push(format!(
            "{name}: using the current context: {got_use:?} ({problem:?}), kubectl {expected_use:?}: {use_message}"
        ));
    }
    wrong
}

#[tokio::test]
async fn loader_agrees_with_kubectl_on_the_corpus() {
    let dir = corpus_dir();
    let text = std::fs::read_to_string(dir.join("expectations.json")).expect("expectations.json is readable");
    let cases: serde_json::Map<String, Value> = serde_json::from_str(&text).expect("expectations.json is JSON");
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (name, case) in cases.iter().filter(|(name, _)| !name.starts_with('_')) {
        wrong.extend(check_case(&dir, name, case).await);
        checked += 1;
    }
    assert!(checked >= 60, "only {checked} corpus cases found");
    assert!(wrong.is_empty(), "{} disagreements with kubectl:\n{}", wrong.len(), wrong.join("\n"));
}
