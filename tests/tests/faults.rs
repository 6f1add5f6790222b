//! The actions' promises under faults, against real local clusters (one per test, so the cases
//! run side by side): other writers' changes are drift repaired by a request that changes no
//! spec, and a controller of record's field is a conflict; two Tenantry processes changing one
//! tenant at once never both succeed with a change lost; a create and a restore interrupted at
//! every step resume to one correct tenant, and a restore whose Job failed is retried by Resume; an API server frozen with SIGSTOP ends a running
//! action and takes its cluster out of "live" within 30 s, and both recover by themselves.

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Secret};
use kube::api::{Api, ListParams, Patch, PatchParams};
use tenantry_core::actions::{ActionSettings, Actions};
use tenantry_core::blueprint::Catalog;
use tenantry_core::cache::Cache;
use tenantry_core::inventory::ClusterInventory;
use tenantry_model::{
    ActionEvent, ActionRequest, ActionResult, Change, ConnectionState, ErrorKind, Operation, Outcome, Step, TenantSpec,
};
use tenantry_tests::actions::{Setup, deployment, interrupted_at, planned, ready_pods, revision, spec, succeeded};
use tenantry_tests::cluster::cordon;

/// The longest a frozen cluster may hold an action or look live.
const FROZEN_BOUND: Duration = Duration::from_secs(30);

fn request(context: &str, tenant: &str, change: Change) -> ActionRequest {
    ActionRequest { context: context.into(), tenant: tenant.into(), change, take_over: false, reason: String::new() }
}

fn scale(replicas: i32) -> Change {
    Change::Scale { replicas: Some(replicas), autoscaling: None, workload: None }
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_is_repaired_by_a_request_that_changes_no_spec_and_a_controllers_field_is_a_conflict() {
    let setup = Setup::start("flt-1").await;
    let client = setup.client().await;
    let id = "drift-shop";
    succeeded(&setup.run("flt-1", id, Change::Create { spec: spec() }).await.0);

    // kubectl scales the app to 4 and edits the config behind Tenantry's back.
    let kubectl = tenantry_tests::binaries::Binaries::ensure().expect("binaries").path("kubectl");
    let kubeconfig = setup.fleet.kubeconfig.to_string_lossy().into_owned();
    for args in [
        vec!["scale", "deployment", "app", "--replicas=4"],
        vec!["patch", "configmap", "app-config", "--type=merge", "-p", r#"{"data":{"SITE_NAME":"Hacked"}}"#],
    ] {
        let output = std::process::Command::new(&kubectl)
            .args(["--kubeconfig", &kubeconfig, "--context", "flt-1", "-n", id])
            .args(&args)
            .output()
            .expect("kubectl runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    assert_eq!(deployment(&client, id).await.spec.and_then(|s| s.replicas), Some(4));

    // Asking for the size the spec already has repairs the tenant, through the same preview.
    let (outcome, events) = setup.run("flt-1", id, scale(2)).await;
    succeeded(&outcome);
    let preview = planned(&events);
    assert_eq!((preview.revision_before, preview.revision_after), (1, 1), "the spec did not change");
    assert!(preview.changes_anything(), "{preview:?}");
    let app = preview.objects.iter().find(|o| o.kind == "Deployment").expect("the Deployment");
    assert_eq!(app.operation, Operation::Update, "{app:?}");
    let drift = app.drift.iter().find(|d| d.path == ".spec.replicas").expect("the replicas drift");
    assert!(drift.manager.starts_with("kubectl") && drift.at.is_some(), "{drift:?}");
    assert!(
        preview.notes.iter().any(|n| n.contains(".spec.replicas was changed outside Tenantry by kubectl")),
        "{:?}",
        preview.notes
    );
    let config = preview.objects.iter().find(|o| o.kind == "ConfigMap" && o.name == "app-config").expect("config");
    assert_eq!(config.operation, Operation::Update, "{config:?}");
    assert!(config.fields.iter().any(|f| f.path == "data.SITE_NAME" && f.after.as_deref() == Some("Maple")));
    assert_eq!(deployment(&client, id).await.spec.and_then(|s| s.replicas), Some(2));
    assert_eq!(ready_pods(&client, id).await, 2, "done means the pods run as the spec says");
    let map = Api::<ConfigMap>::namespaced(client.clone(), id).get("app-config").await.expect("config");
    assert_eq!(map.data.unwrap_or_default().get("SITE_NAME").map(String::as_str), Some("Maple"));
    assert_eq!(revision(&client, id).await, "1");

    // Nothing drifted now: the same request changes nothing.
    let (outcome, events) = setup.run("flt-1", id, scale(2)).await;
    succeeded(&outcome);
    assert!(!planned(&events).changes_anything(), "{:?}", planned(&events));

    // Argo CD owns the size: a conflict to review, nothing overwritten, until taken over.
    let by_argo = serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app"}, "spec": {"replicas": 3}});
    Api::<Deployment>::namespaced(client.clone(), id)
        .patch("app", &PatchParams::apply("argocd-controller").force(), &Patch::Apply(&by_argo))
        .await
        .expect("set by Argo CD");
    let (outcome, _) = setup.run("flt-1", id, scale(2)).await;
    assert_eq!(outcome.result, ActionResult::Failed, "{}", outcome.message);
    assert!(outcome.message.contains("argocd-controller") && outcome.message.contains("nothing was overwritten"));
    assert_eq!(deployment(&client, id).await.spec.and_then(|s| s.replicas), Some(3), "nothing overwritten");
    let preview_error =
        setup.actions.preview(&setup.entry("flt-1"), &request("flt-1", id, scale(2))).await.expect_err("a conflict");
    assert_eq!(preview_error.to_ui().kind, ErrorKind::Conflict);
    let take_over = ActionRequest { take_over: true, ..request("flt-1", id, scale(2)) };
    succeeded(&setup.run_request(&take_over).await.0);
    assert_eq!(ready_pods(&client, id).await, 2);
}

/// Two actions of two processes (each its own journal) started at the same moment; returns
/// their outcomes.
async fn at_once(first: (&Actions, &ActionRequest), second: (&Actions, &ActionRequest), setup: &Setup) -> [Outcome; 2] {
    let entry = setup.entry("flt-2");
    let (a, b) = tokio::join!(first.0.run(&entry, first.1, |_| {}), second.0.run(&entry, second.1, |_| {}));
    [a.expect("recorded"), b.expect("recorded")]
}

#[tokio::test(flavor = "multi_thread")]
async fn two_processes_changing_one_tenant_at_once_never_lose_a_change() {
    let setup = Setup::start("flt-2").await;
    let client = setup.client().await;
    let id = "busy-shop";
    succeeded(&setup.run("flt-2", id, Change::Create { spec: TenantSpec { replicas: 1, ..spec() } }).await.0);
    let colleague_cache = Cache::open(&setup.dir.path().join("colleague/cache.sqlite")).await.expect("cache").cache;
    let colleague =
        Actions::new(colleague_cache, Catalog::load(&setup.dir.path().join("none")), ActionSettings::default());

    for round in 0..4 {
        let replicas = 1 + round % 2 + 1;
        let version = format!("7.{round}.0");
        let scaling = ActionRequest { reason: format!("TICKET-{round}"), ..request("flt-2", id, scale(replicas)) };
        let update = request("flt-2", id, Change::version_update(Some(version.clone())));
        let outcomes = at_once((&setup.actions, &scaling), (&colleague, &update), &setup).await;
        for (outcome, (actions, again)) in outcomes.iter().zip([(&setup.actions, &scaling), (&colleague, &update)]) {
            match outcome.result {
                ActionResult::Succeeded => {}
                ActionResult::Failed => {
                    assert!(
                        outcome.message.contains("was changed by")
                            && outcome.message.contains("while you were editing"),
                        "round {round}: {}",
                        outcome.message
                    );
                    // Running it again on the new spec works.
                    succeeded(&actions.run(&setup.entry("flt-2"), again, |_| {}).await.expect("recorded"));
                }
                ActionResult::Refused => panic!("round {round}: refused: {}", outcome.message),
            }
        }
        let app = deployment(&client, id).await;
        let image = app.spec.as_ref().and_then(|s| s.template.spec.as_ref()).map(|s| s.containers[0].image.clone());
        assert_eq!(app.spec.and_then(|s| s.replicas), Some(replicas), "round {round}: the scale was kept");
        assert_eq!(
            image.flatten(),
            Some(format!("registry.example.com/web:{version}")),
            "round {round}: the update was kept"
        );
    }

    // Inside one process, two actions on one tenant queue; both changes stay.
    let entry = setup.entry("flt-2");
    let smaller = request("flt-2", id, scale(1));
    let newer = request("flt-2", id, Change::version_update(Some("8.0.0".into())));
    let (a, b) = tokio::join!(setup.actions.run(&entry, &smaller, |_| {}), setup.actions.run(&entry, &newer, |_| {}));
    succeeded(&a.expect("recorded"));
    succeeded(&b.expect("recorded"));
    assert_eq!(deployment(&client, id).await.spec.and_then(|s| s.replicas), Some(1));

    // The history is gapless and says who made each revision, how and why.
    let history = Api::<ConfigMap>::namespaced(client.clone(), id).get("tenantry-history").await.expect("history");
    let data = history.data.unwrap_or_default();
    let mut revisions: Vec<u64> = data.keys().map(|k| k.parse().expect("a number")).collect();
    revisions.sort_unstable();
    let newest: u64 = revision(&client, id).await.parse().expect("a number");
    assert_eq!(revisions, (1..=newest).collect::<Vec<_>>(), "gapless up to the current revision");
    let entries: Vec<serde_json::Value> = data.values().map(|v| serde_json::from_str(v).expect("JSON")).collect();
    assert!(
        entries.iter().all(|e| e["by"].as_str().is_some_and(|by| by.starts_with("admin (")) && e["at"].is_string())
    );
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "scale" && e["reason"].as_str().is_some_and(|r| r.starts_with("TICKET-")))
    );
    let audit = setup.actions.audit_log().await.expect("audit");
    assert!(audit.iter().any(|a| a.reason.starts_with("TICKET-")), "the reason is audited");
}

/// Resumes the orphaned journal entry of `request`'s tenant, or runs the request again when
/// the journal has none (it died before journaling); asserts success.
async fn finish(setup: &Setup, request: &ActionRequest) {
    let unfinished = setup.actions.unfinished().await.expect("journal");
    let mine: Vec<_> = unfinished.iter().filter(|j| j.request.tenant == request.tenant).collect();
    assert!(mine.iter().all(|j| j.running_in.is_none()), "a dead run is not shown as running: {mine:?}");
    match mine.last() {
        Some(entry) => {
            succeeded(&setup.actions.resume(&setup.entry(&request.context), entry.id, |_| {}).await.expect("recorded"))
        }
        None => succeeded(&setup.run_request(request).await.0),
    }
    assert!(
        setup.actions.unfinished().await.expect("journal").iter().all(|j| j.request.tenant != request.tenant),
        "nothing of {} is left unfinished",
        request.tenant
    );
}

/// How many objects of kind `K` the tenant's namespace holds.
async fn count<K>(client: &kube::Client, id: &str) -> usize
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    Api::<K>::namespaced(client.clone(), id).list(&ListParams::default()).await.expect("list").items.len()
}

const STEPS: [Step; 6] = [Step::Validate, Step::Access, Step::Journal, Step::Preview, Step::Apply, Step::Converge];

#[tokio::test(flavor = "multi_thread")]
async fn a_create_interrupted_at_every_step_resumes_to_one_correct_tenant() {
    let setup = Setup::start("flt-3").await;
    let client = setup.client().await;
    for step in STEPS {
        let id = format!("crash-{}", format!("{step:?}").to_lowercase());
        let create = request("flt-3", &id, Change::Create { spec: spec() });
        assert!(interrupted_at(&setup, &create, step).await, "{step:?} was reached");
        finish(&setup, &create).await;
        assert_eq!(ready_pods(&client, &id).await, 2, "{id}");
        assert_eq!(revision(&client, &id).await, "1", "{id}");
        assert_eq!(count::<ReplicaSet>(&client, &id).await, 1, "{id}: one rollout");
        assert_eq!(count::<PersistentVolumeClaim>(&client, &id).await, 1, "{id}");
        let secrets = Api::<Secret>::namespaced(client.clone(), &id)
            .list(&ListParams::default().labels("tenantry.io/tenant"))
            .await
            .expect("secrets");
        assert_eq!(secrets.items.len(), 1, "{id}: one generated credential");
        let history = Api::<ConfigMap>::namespaced(client.clone(), &id).get("tenantry-history").await.expect("history");
        assert_eq!(history.data.unwrap_or_default().keys().collect::<Vec<_>>(), ["1"], "{id}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restore_interrupted_at_every_step_resumes_with_the_app_running() {
    let setup = Setup::start("flt-4").await;
    let client = setup.client().await;
    let id = "restored-shop";
    succeeded(&setup.run("flt-4", id, Change::Create { spec: spec() }).await.0);
    succeeded(&setup.run("flt-4", id, Change::Backup { backup: "before".into() }).await.0);
    let restore = request("flt-4", id, Change::Restore { backup: "before".into(), attempt: None });
    for step in STEPS {
        assert!(interrupted_at(&setup, &restore, step).await, "{step:?} was reached");
        finish(&setup, &restore).await;
        assert_eq!(ready_pods(&client, id).await, 2, "after an interruption at {step:?} the app runs again");
        assert_eq!(deployment(&client, id).await.spec.and_then(|s| s.replicas), Some(2));
        let jobs = Api::<Job>::namespaced(client.clone(), id);
        let restores = jobs.list(&ListParams::default()).await.expect("jobs");
        let named: Vec<_> =
            restores.items.iter().filter(|j| j.metadata.name.as_deref() == Some("restore-before")).collect();
        assert_eq!(named.len(), 1, "one restore Job");
    }

    // A restore whose Job fails is a failure with the app still stopped, never a success; Resume
    // replaces the failed Job and finishes the restore.
    cordon(&client, true).await.expect("cordoned");
    let entry = setup.entry("flt-4");
    let run = setup.actions.run(&entry, &restore, |_| {});
    let fail_the_job = async {
        let jobs = Api::<Job>::namespaced(client.clone(), id);
        let fresh_job_waits = async {
            loop {
                let pending = jobs.get_opt("restore-before").await.expect("read");
                if pending.is_some_and(|job| job.status.and_then(|s| s.succeeded).is_none()) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(60), fresh_job_waits)
            .await
            .expect("a second restore from the same backup runs a fresh Job, which waits for a node");
        let deadline = serde_json::json!({"spec": {"activeDeadlineSeconds": 1}});
        jobs.patch("restore-before", &PatchParams::default(), &Patch::Merge(&deadline)).await.expect("deadline set");
    };
    let (failed, ()) = tokio::join!(run, fail_the_job);
    let failed = failed.expect("recorded");
    assert_eq!(failed.result, ActionResult::Failed, "{}", failed.message);
    assert!(failed.message.contains("Job restore-before failed"), "{}", failed.message);
    assert_eq!(deployment(&client, id).await.spec.and_then(|s| s.replicas), Some(0), "the app stays stopped");
    cordon(&client, false).await.expect("uncordoned");
    succeeded(&setup.actions.resume(&entry, failed.journal_id, |_| {}).await.expect("recorded"));
    assert_eq!(ready_pods(&client, id).await, 2);
    let job = Api::<Job>::namespaced(client.clone(), id).get("restore-before").await.expect("the restore Job");
    assert!(job.status.and_then(|s| s.succeeded).is_some_and(|n| n >= 1), "a fresh restore Job completed");

    // Rolling back a restore brings the app back as the spec says; it never deletes anything.
    let outcome = setup.run_request(&restore).await.0;
    succeeded(&outcome);
    let rolled =
        setup.actions.roll_back(&setup.entry("flt-4"), outcome.journal_id, "", |_| {}).await.expect("recorded");
    succeeded(&rolled);
    assert_eq!(ready_pods(&client, id).await, 2);
    let scaled = setup.run_request(&request("flt-4", id, scale(3))).await.0;
    succeeded(&scaled);
    let rolled = setup.actions.roll_back(&setup.entry("flt-4"), scaled.journal_id, "", |_| {}).await.expect("recorded");
    succeeded(&rolled);
    assert_eq!(
        deployment(&client, id).await.spec.and_then(|s| s.replicas),
        Some(2),
        "a scale rolls back to the size before"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_frozen_api_server_ends_the_action_and_leaves_live_within_30_seconds() {
    let setup = Setup::start("flt-5").await;
    let id = "frozen-shop";
    succeeded(&setup.run("flt-5", id, Change::Create { spec: spec() }).await.0);
    let inventory =
        ClusterInventory::start_synced(&setup.entry("flt-5"), Duration::from_secs(60)).await.expect("synced");
    let listed = Instant::now();
    while !inventory.is_live() {
        assert!(listed.elapsed() < FROZEN_BOUND, "the cluster never became live");
        tokio::time::timeout(Duration::from_secs(1), inventory.changed()).await.ok();
    }

    let cluster = &setup.fleet.clusters[0];
    let mut frozen_at = None;
    let scaling = request("flt-5", id, scale(3));
    let outcome = setup
        .actions
        .run(&setup.entry("flt-5"), &scaling, |event| {
            if event == (ActionEvent::Started { step: Step::Apply }) {
                cluster.freeze_apiserver();
                frozen_at = Some(Instant::now());
            }
        })
        .await
        .expect("recorded");
    let frozen_at = frozen_at.expect("the server was frozen mid-action");
    let held = frozen_at.elapsed();
    assert!(held < FROZEN_BOUND, "the action ended {held:?} after the freeze");
    assert_eq!(outcome.result, ActionResult::Failed);
    assert!(outcome.message.contains("stopped answering"), "{}", outcome.message);
    let unfinished = setup.actions.unfinished().await.expect("journal");
    assert_eq!(
        unfinished.iter().map(|j| (j.id, j.running_in.clone())).collect::<Vec<_>>(),
        [(outcome.journal_id, None)]
    );

    // The watches sit silent on open sockets; the heartbeat takes the cluster out of "live".
    while inventory.is_live() {
        assert!(frozen_at.elapsed() < FROZEN_BOUND, "still live {:?} after the freeze", frozen_at.elapsed());
        tokio::time::timeout(Duration::from_secs(1), inventory.changed()).await.ok();
    }
    assert_ne!(inventory.status().state, ConnectionState::Live);
    assert!(inventory.status().last_error.is_some_and(|e| e.message.contains("stopped answering")));

    // Back by itself once the server answers, and the action resumes to its end.
    cluster.thaw_apiserver();
    let thawed = Instant::now();
    while !inventory.is_live() {
        assert!(thawed.elapsed() < FROZEN_BOUND, "not live again {:?} after the thaw", thawed.elapsed());
        tokio::time::timeout(Duration::from_secs(1), inventory.changed()).await.ok();
    }
    let resumed = setup.actions.resume(&setup.entry("flt-5"), outcome.journal_id, |_| {}).await.expect("recorded");
    succeeded(&resumed);
    assert_eq!(ready_pods(&setup.client().await, id).await, 3);
}
