//! Hostile input against a real local cluster: create never takes over a namespace made with
//! kubectl or a system one, and delete never removes one; text typed into every string input
//! stays data in the plan and the cluster; a blueprint file rendering RBAC is refused with its
//! file and line; spec annotations and history written by hand or by a broken tool are refused
//! clearly or repaired, never read as "no spec"; a secret config value reaches only the tenant's
//! Secret, through a crash and a resume.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::ResourceExt as _;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;
use tenantry_core::actions::{ActionSettings, Actions};
use tenantry_core::blueprint::Catalog;
use tenantry_core::cache::Cache;
use tenantry_model::{ActionEvent, ActionRequest, ActionResult, Change, Outcome, Step, TenantSpec};
use tenantry_tests::actions::{Setup, interrupted_at, planned, revision, spec, succeeded};

fn refused_with(outcome: &Outcome, words: &str) {
    assert_ne!(outcome.result, ActionResult::Succeeded, "{}", outcome.message);
    assert!(outcome.message.contains(words), "expected {words:?} in: {}", outcome.message);
}

async fn annotate(client: &kube::Client, id: &str, key: &str, value: &str) {
    let patch = json!({"metadata": {"annotations": {key: value}}});
    Api::<Namespace>::all(client.clone())
        .patch(id, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("annotate the namespace");
}

#[tokio::test(flavor = "multi_thread")]
async fn create_and_delete_never_touch_a_namespace_that_is_not_tenantrys() {
    let setup = Setup::start("hst-1").await;
    let client = setup.client().await;
    let namespaces = Api::<Namespace>::all(client.clone());
    let made = Namespace {
        metadata: kube::api::ObjectMeta { name: Some("kubectl-shop".into()), ..Default::default() },
        ..Namespace::default()
    };
    let params = PostParams { field_manager: Some("kubectl-create".into()), ..PostParams::default() };
    let before = namespaces.create(&params, &made).await.expect("kubectl creates a namespace");

    let (outcome, _) = setup.run("hst-1", "kubectl-shop", Change::Create { spec: spec() }).await;
    refused_with(&outcome, "namespace kubectl-shop exists but is not a Tenantry tenant (made by kubectl-create)");
    let after = namespaces.get("kubectl-shop").await.expect("still there");
    assert_eq!(after.resource_version(), before.resource_version(), "the namespace is unchanged");
    let policies = Api::<NetworkPolicy>::namespaced(client.clone(), "kubectl-shop");
    assert!(policies.list(&ListParams::default()).await.expect("list").items.is_empty(), "nothing written into it");

    let (outcome, _) = setup.run("hst-1", "kubectl-shop", Change::Delete { confirm: "kubectl-shop".into() }).await;
    refused_with(&outcome, "is not a Tenantry tenant");
    assert!(
        namespaces
            .get_opt("kubectl-shop")
            .await
            .expect("read")
            .is_some_and(|ns| ns.metadata.deletion_timestamp.is_none())
    );

    for system in ["kube-system", "default", "kube-public"] {
        let (outcome, _) = setup.run("hst-1", system, Change::Create { spec: spec() }).await;
        refused_with(&outcome, "is reserved");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn typed_text_stays_data_and_a_blueprint_granting_access_is_refused_with_its_line() {
    let setup = Setup::start("hst-2").await;
    let client = setup.client().await;
    let attack = "x\"\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: pwn, namespace: kube-system}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}\nsubjects: [{kind: Group, name: 'system:authenticated'}]\n# {{ 7*7 }} &a *a";
    let mut hostile = spec();
    hostile.display_name = "Maple \"Shop\" {{ 7*7 }} --- &anchor".into();
    hostile.customer = "Maple'; DROP TABLE tenants; --".into();
    hostile.config.insert("SITE_NAME".into(), attack.into());
    let request = ActionRequest {
        context: "hst-2".into(),
        tenant: "hostile-shop".into(),
        change: Change::Create { spec: hostile.clone() },
        take_over: false,
        reason: "TICKET-1 \"{{ 7*7 }}\" --- kind: RoleBinding".into(),
    };
    let forged = ActionRequest { reason: "TICKET-1\n7 ago  root  admin  hst-2/hostile-shop".into(), ..request.clone() };
    refused_with(&setup.run_request(&forged).await.0, "reason holds a line break");
    let mut bad_domain = hostile.clone();
    bad_domain.domains.push("evil.example.com\n---\nkind: RoleBinding".into());
    let (outcome, _) =
        setup.run_request(&ActionRequest { change: Change::Create { spec: bad_domain }, ..request.clone() }).await;
    refused_with(&outcome, "domain \"evil.example.com\\n---\\nkind: RoleBinding\" ");
    let (outcome, events) = setup.run_request(&request).await;
    succeeded(&outcome);
    let objects = |events: &[ActionEvent], id: &str| -> Vec<String> {
        planned(events).objects.iter().map(|o| format!("{} {}", o.kind, o.name.replace(id, "ID"))).collect()
    };
    let kinds = objects(&events, "hostile-shop");
    let (benign, benign_events) = setup.run("hst-2", "benign-shop", Change::Create { spec: spec() }).await;
    succeeded(&benign);
    let benign_kinds = objects(&benign_events, "benign-shop");
    assert_eq!(kinds, benign_kinds, "the plan holds the same objects whatever the text");
    let config = Api::<ConfigMap>::namespaced(client.clone(), "hostile-shop").get("app-config").await.expect("config");
    assert_eq!(config.data.unwrap_or_default().get("SITE_NAME").map(String::as_str), Some(attack));
    for namespace in ["kube-system", "hostile-shop"] {
        let bindings = Api::<RoleBinding>::namespaced(client.clone(), namespace).list(&ListParams::default()).await;
        assert!(!bindings.expect("list").items.iter().any(|b| b.name_any() == "pwn"), "no RoleBinding in {namespace}");
    }

    let folder = setup.dir.path().join("rbac-blueprints");
    std::fs::create_dir_all(&folder).expect("folder");
    let file = folder.join("grants.yaml");
    std::fs::write(
        &file,
        "name: grants\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: everyone-admin}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}\nsubjects: [{kind: Group, name: 'system:authenticated'}]\n",
    )
    .expect("write the blueprint");
    let cache = Cache::open(&setup.dir.path().join("data/grants.sqlite")).await.expect("cache").cache;
    let actions = Actions::new(cache, Catalog::load(&folder), ActionSettings::default());
    let grants = ActionRequest {
        tenant: "granted-shop".into(),
        change: Change::Create { spec: TenantSpec { blueprint: "grants".into(), ..spec() } },
        reason: String::new(),
        ..request
    };
    let error = actions.preview(&setup.entry("hst-2"), &grants).await.expect_err("refused");
    let expected = format!(
        "{}, line 7: the object is a RoleBinding (rbac.authorization.k8s.io), which grants access",
        file.display()
    );
    assert!(error.to_string().starts_with(&expected), "{error}");
    assert!(
        Api::<Namespace>::all(client.clone()).get_opt("granted-shop").await.expect("read").is_none(),
        "nothing written"
    );

    // Kinds only the cluster can judge: one it does not serve, one it serves cluster-wide.
    let other = setup.dir.path().join("other-blueprints");
    std::fs::create_dir_all(&other).expect("folder");
    for (name, kind, expected) in [
        ("widgets", "apiVersion: example.com/v1\nkind: Widget", "the cluster does not serve Widget in example.com/v1"),
        (
            "flows",
            "apiVersion: flowcontrol.apiserver.k8s.io/v1\nkind: FlowSchema",
            "FlowSchema everyone is cluster-wide",
        ),
    ] {
        let file = other.join(format!("{name}.yaml"));
        std::fs::write(&file, format!("name: {name}\n---\n{kind}\nmetadata: {{name: everyone}}\n")).expect("write");
        let cache = Cache::open(&setup.dir.path().join(format!("data/{name}.sqlite"))).await.expect("cache").cache;
        let actions = Actions::new(cache, Catalog::load(&other), ActionSettings::default());
        let request = ActionRequest {
            tenant: format!("{name}-shop"),
            change: Change::Create { spec: TenantSpec { blueprint: name.into(), ..spec() } },
            ..grants.clone()
        };
        let error = actions.preview(&setup.entry("hst-2"), &request).await.expect_err("refused").to_string();
        let at = format!("{}, line 3: the object cannot be written: ", file.display());
        assert!(error.starts_with(&at) && error.contains(expected), "{error}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hand_written_specs_and_histories_are_refused_or_repaired_never_read_as_absent() {
    let setup = Setup::start("hst-3").await;
    let client = setup.client().await;
    let id = "garbled-shop";
    succeeded(&setup.run("hst-3", id, Change::Create { spec: spec() }).await.0);
    let scale = |replicas| Change::Scale { replicas: Some(replicas), autoscaling: None, workload: None };
    succeeded(&setup.run("hst-3", id, scale(1)).await.0);

    for (garbage, problem) in [
        ("{not json", "is not JSON"),
        ("{\"version\":\"6.5.1\",\"sidecar\":{\"image\":\"evil\"}}", "fields this Tenantry does not know (sidecar)"),
        ("{\"replicas\":\"many\"}", "is not a tenant spec"),
    ] {
        annotate(&client, id, "tenantry.io/spec", garbage).await;
        let (outcome, _) = setup.run("hst-3", id, scale(2)).await;
        refused_with(&outcome, problem);
        let (outcome, _) = setup.run("hst-3", id, Change::Create { spec: spec() }).await;
        refused_with(&outcome, "cannot be used");
    }
    let (outcome, _) = setup.run("hst-3", id, Change::Rollback { revision: 2 }).await;
    succeeded(&outcome);
    assert_eq!(revision(&client, id).await, "3", "the roll back repaired the spec as a new revision");

    annotate(&client, id, "tenantry.io/revision", "18446744073709551615").await;
    refused_with(&setup.run("hst-3", id, scale(2)).await.0, "is beyond the highest Tenantry counts to");
    annotate(&client, id, "tenantry.io/revision", "9007199254740992").await;
    refused_with(&setup.run("hst-3", id, scale(2)).await.0, "the highest Tenantry counts to");
    annotate(&client, id, "tenantry.io/revision", "3").await;

    // A broken tool filled the history: a 900 KiB entry, a key that is no revision, garbage.
    let history = Api::<ConfigMap>::namespaced(client.clone(), id);
    let junk: BTreeMap<String, String> = [
        ("1".to_owned(), format!("{{\"spec\":{{\"displayName\":\"{}\"}}}}", "x".repeat(900 * 1024))),
        ("latest".to_owned(), "{}".to_owned()),
        ("2".to_owned(), "{garbage".to_owned()),
    ]
    .into();
    let patch = json!({"data": junk});
    history.patch("tenantry-history", &PatchParams::default(), &Patch::Merge(&patch)).await.expect("fill the history");
    let (outcome, events) = setup.run("hst-3", id, scale(2)).await;
    succeeded(&outcome);
    let notes = planned(&events).notes.join("\n");
    assert!(notes.contains("The history entries 1, 2, latest cannot be read"), "{notes}");
    let data = history.get("tenantry-history").await.expect("history").data.unwrap_or_default();
    let keys: Vec<&String> = data.keys().collect();
    assert_eq!(keys, ["3", "4"], "unreadable entries dropped, readable ones kept");
    assert!(data.values().map(String::len).sum::<usize>() < 300 * 1024);
}

/// Every file under `dir` as text.
fn dump(dir: &std::path::Path) -> String {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap_or_default()).into_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_config_value_reaches_only_the_tenants_secret_through_a_crash_and_resume() {
    let setup = Setup::start("hst-4").await;
    let client = setup.client().await;
    let password = "correct-horse-battery-staple-77";
    for (id, step) in [("secret-apply", Step::Apply), ("secret-converge", Step::Converge)] {
        let mut with_secret = spec();
        with_secret.config.insert("DB_PASSWORD".into(), password.into());
        let create = ActionRequest {
            context: "hst-4".into(),
            tenant: id.into(),
            change: Change::Create { spec: with_secret },
            take_over: false,
            reason: String::new(),
        };
        let preview = setup.actions.preview(&setup.entry("hst-4"), &create).await.expect("preview");
        let shown = serde_json::to_string(&preview).expect("json");
        assert!(shown.contains("tenantry-secret-config") && !shown.contains(password), "{shown}");
        assert!(interrupted_at(&setup, &create, step).await, "{step:?} was reached");
        let unfinished = setup.actions.unfinished().await.expect("journal");
        let entry = unfinished.iter().find(|j| j.request.tenant == id).expect("journaled");
        let mut events = Vec::new();
        let outcome = setup.actions.resume(&setup.entry("hst-4"), entry.id, |e| events.push(e)).await.expect("resumed");
        succeeded(&outcome);

        let secret = Api::<Secret>::namespaced(client.clone(), id).get("tenantry-secret-config").await.expect("secret");
        let value = secret.data.unwrap_or_default().remove("DB_PASSWORD").expect("the key");
        assert_eq!(value.0, password.as_bytes(), "{id}: the Secret holds the value typed before the crash");
        let namespace = Api::<Namespace>::all(client.clone()).get(id).await.expect("namespace");
        let history = Api::<ConfigMap>::namespaced(client.clone(), id).get("tenantry-history").await.expect("history");
        let config = Api::<ConfigMap>::namespaced(client.clone(), id).get("app-config").await.expect("config");
        let deployment = tenantry_tests::actions::deployment(&client, id).await;
        let outside = format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            serde_json::to_string(&namespace).expect("json"),
            serde_json::to_string(&history).expect("json"),
            serde_json::to_string(&config).expect("json"),
            serde_json::to_string(&deployment).expect("json"),
            serde_json::to_string(&events).expect("json"),
            dump(&setup.dir.path().join("data")),
        );
        assert!(!outside.contains(password), "{id}: the value leaked outside its Secret");
        assert!(namespace.annotations()["tenantry.io/spec"].contains("\"secretConfig\":{\"DB_PASSWORD\""));
        let env = serde_json::to_string(&deployment.spec.expect("spec").template).expect("json");
        assert!(env.contains("tenantry-secret-config"), "the app reads the Secret: {env}");
    }

    // A new value rolls the app out; an empty one removes the key; another key keeps its value.
    let update = |config: &[(&str, &str)]| Change::Update {
        version: None,
        plan: None,
        domains: None,
        config: Some(config.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()),
        config_keys: std::collections::BTreeMap::new(),
        parameters: std::collections::BTreeMap::new(),
    };
    let before = tenantry_tests::actions::deployment(&client, "secret-apply").await.metadata.generation;
    succeeded(
        &setup.run("hst-4", "secret-apply", update(&[("SITE_NAME", "Maple"), ("API_TOKEN", "tok-1234567")])).await.0,
    );
    let after = tenantry_tests::actions::deployment(&client, "secret-apply").await.metadata.generation;
    assert_ne!(before, after, "a new secret value rolls the app out");
    let secrets = Api::<Secret>::namespaced(client.clone(), "secret-apply");
    let keys = |s: Secret| s.data.unwrap_or_default().into_keys().collect::<Vec<_>>();
    assert_eq!(keys(secrets.get("tenantry-secret-config").await.expect("secret")), ["API_TOKEN", "DB_PASSWORD"]);
    succeeded(&setup.run("hst-4", "secret-apply", update(&[("SITE_NAME", "Maple"), ("DB_PASSWORD", "")])).await.0);
    assert_eq!(keys(secrets.get("tenantry-secret-config").await.expect("secret")), ["API_TOKEN"]);
}
