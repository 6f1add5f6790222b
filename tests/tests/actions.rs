//! Tenant actions against real local clusters: every action end to end with the cluster's
//! objects checked afterwards; journal, audit log and tenant Events; generated credentials never
//! reach SQLite, the logs or the progress the UI receives; the help-desk identity refused a
//! delete; invalid inputs; a conflicting second writer; and a create interrupted twice (API
//! server stopped, app gone) resumed to completion without duplicate objects.

use std::path::Path;
use std::sync::OnceLock;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Event, Namespace, PersistentVolumeClaim, Secret};
use k8s_openapi::api::networking::v1::Ingress;
use kube::ResourceExt as _;
use kube::api::{Api, ListParams, Patch, PatchParams};
use tenantry_core::cache::Cache;
use tenantry_model::{
    ActionEvent, ActionKind, ActionRequest, ActionResult, Autoscaling, Change, ErrorKind, JournalState, Operation,
    Step, TenantSpec,
};
use tenantry_tests::actions::{Setup, app_pods, deployment, planned, ready_pods, revision, spec, succeeded};
use tenantry_tests::fleet::helpdesk_context;

/// Holds the log writer of the test binary open.
static LOG_GUARD: OnceLock<Option<tracing_appender::non_blocking::WorkerGuard>> = OnceLock::new();

/// Every byte of the files under `dir`, lossily as text.
fn text_of_files(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            text.push_str(&text_of_files(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            text.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn every_action_runs_end_to_end_and_leaves_its_records() {
    let logs = tempfile::tempdir().expect("log dir");
    LOG_GUARD.get_or_init(|| tenantry_core::logging::init(logs.path()).ok());
    let setup = Setup::start("act-1").await;
    let client = setup.client().await;
    let id = "maple-shop";

    // Create: every object of the web blueprint, the spec and history, pods ready.
    let (outcome, events) = setup.run("act-1", id, Change::Create { spec: spec() }).await;
    succeeded(&outcome);
    let steps: Vec<Step> = events
        .iter()
        .filter_map(|e| match e {
            ActionEvent::Started { step } => Some(*step),
            _ => None,
        })
        .collect();
    assert_eq!(steps, Step::ALL, "every step in order");
    let preview = planned(&events);
    assert!(preview.objects.iter().all(|o| o.operation == Operation::Create), "{preview:?}");
    assert_eq!(preview.objects.len(), 12, "namespace, history and 10 blueprint objects");
    assert!(events.iter().any(|e| matches!(e, ActionEvent::Rollout { ready: 2, desired: 2, .. })));
    assert_eq!(ready_pods(&client, id).await, 2);
    assert_eq!(revision(&client, id).await, "1");
    let ingress = Api::<Ingress>::namespaced(client.clone(), id).get("app").await.expect("ingress");
    let hosts: Vec<String> =
        ingress.spec.and_then(|s| s.rules).unwrap_or_default().into_iter().filter_map(|r| r.host).collect();
    assert_eq!(hosts, spec().domains);
    let claim = Api::<PersistentVolumeClaim>::namespaced(client.clone(), id).get("media").await.expect("claim");
    assert_eq!(claim.status.and_then(|s| s.phase).as_deref(), Some("Bound"));
    for (kind, name) in [
        ("ResourceQuota", "plan"),
        ("LimitRange", "plan"),
        ("ConfigMap", "app-config"),
        ("Service", "app"),
        ("CronJob", "backup"),
        ("NetworkPolicy", "isolate"),
    ] {
        assert!(preview.objects.iter().any(|o| o.kind == kind && o.name == name), "{kind} {name}");
    }
    let secret = Api::<Secret>::namespaced(client.clone(), id).get("app-credentials").await.expect("credentials");
    let credentials: Vec<String> =
        secret.data.unwrap_or_default().values().map(|v| String::from_utf8_lossy(&v.0).into_owned()).collect();
    assert_eq!(credentials.len(), 2);

    // Create again: nothing new, same revision, same credentials.
    let (outcome, events) = setup.run("act-1", id, Change::Create { spec: spec() }).await;
    succeeded(&outcome);
    let preview = planned(&events);
    assert!(!preview.changes_anything(), "{preview:?}");
    assert_eq!(revision(&client, id).await, "1");
    let again = Api::<Secret>::namespaced(client.clone(), id).get("app-credentials").await.expect("credentials");
    let again: Vec<String> =
        again.data.unwrap_or_default().values().map(|v| String::from_utf8_lossy(&v.0).into_owned()).collect();
    assert_eq!(again, credentials, "credentials are generated once");

    // Update the version: new image, revision 2, history holds both.
    let update = Change::version_update(Some("6.6.0".into()));
    succeeded(&setup.run("act-1", id, update).await.0);
    let image = deployment(&client, id).await.spec.and_then(|s| s.template.spec).map(|s| s.containers[0].image.clone());
    assert_eq!(image.flatten().as_deref(), Some("registry.example.com/web:6.6.0"));
    assert_eq!(revision(&client, id).await, "2");
    let history = Api::<ConfigMap>::namespaced(client.clone(), id).get("tenantry-history").await.expect("history");
    assert_eq!(history.data.unwrap_or_default().keys().collect::<Vec<_>>(), ["1", "2"]);

    // Scale, autoscale (an HPA appears), back to fixed (it is removed).
    succeeded(&setup.run("act-1", id, Change::Scale { replicas: Some(3), autoscaling: None, workload: None }).await.0);
    assert_eq!(ready_pods(&client, id).await, 3);
    let bounds = Autoscaling { min: 2, max: 4 };
    succeeded(
        &setup.run("act-1", id, Change::Scale { replicas: None, autoscaling: Some(bounds), workload: None }).await.0,
    );
    let hpas = Api::<HorizontalPodAutoscaler>::namespaced(client.clone(), id);
    let hpa = hpas.get("app").await.expect("autoscaler");
    assert_eq!(hpa.spec.map(|s| (s.min_replicas, s.max_replicas)), Some((Some(2), 4)));
    let (outcome, events) =
        setup.run("act-1", id, Change::Scale { replicas: Some(2), autoscaling: None, workload: None }).await;
    succeeded(&outcome);
    let preview = planned(&events);
    assert!(preview.objects.iter().any(|o| o.kind == "HorizontalPodAutoscaler" && o.operation == Operation::Delete));
    assert!(hpas.get_opt("app").await.expect("read").is_none(), "the autoscaler is removed");
    assert_eq!(ready_pods(&client, id).await, 2);

    // Suspend, resume, restart.
    succeeded(&setup.run("act-1", id, Change::Suspend).await.0);
    assert_eq!(deployment(&client, id).await.spec.and_then(|s| s.replicas), Some(0));
    assert_eq!(ready_pods(&client, id).await, 0);
    succeeded(&setup.run("act-1", id, Change::Resume).await.0);
    assert_eq!(ready_pods(&client, id).await, 2);
    let before = app_pods(&client, id).await;
    succeeded(&setup.run("act-1", id, Change::Restart { workload: None, stamp: None }).await.0);
    let after = app_pods(&client, id).await;
    assert!(after.iter().all(|p| !before.contains(p)), "every pod replaced: {before:?} → {after:?}");

    // Roll back to revision 1: the old version again, as a new revision.
    let (outcome, _) = setup.run("act-1", id, Change::Rollback { revision: 1 }).await;
    succeeded(&outcome);
    let image = deployment(&client, id).await.spec.and_then(|s| s.template.spec).map(|s| s.containers[0].image.clone());
    assert_eq!(image.flatten().as_deref(), Some("registry.example.com/web:6.5.1"));
    let revision_now: u64 = revision(&client, id).await.parse().expect("number");
    assert!(revision_now > 2, "a rollback is a new revision");

    // Back up now, then restore from that backup: the app is down during the restore Job and
    // runs as before afterwards.
    let (outcome, _) = setup.run("act-1", id, Change::Backup { backup: "manual-1".into() }).await;
    succeeded(&outcome);
    assert_eq!(outcome.message, "Backed up maple-shop on act-1 as manual-1.");
    let jobs = Api::<Job>::namespaced(client.clone(), id);
    let backup_job = jobs.get("backup-manual-1").await.expect("the backup Job");
    assert_eq!(backup_job.labels().get("tenantry.io/backup").map(String::as_str), Some("manual-1"));
    let (outcome, events) = setup.run("act-1", id, Change::Restore { backup: "manual-1".into(), attempt: None }).await;
    succeeded(&outcome);
    let preview = planned(&events);
    let restore_plan: Vec<(String, Operation)> =
        preview.objects.iter().map(|o| (format!("{} {}", o.kind, o.name), o.operation)).collect();
    assert_eq!(
        restore_plan,
        [("Deployment app".to_owned(), Operation::Update), ("Job restore-manual-1".to_owned(), Operation::Create)]
    );
    let restored = jobs.get("restore-manual-1").await.expect("the restore Job");
    assert!(restored.status.and_then(|s| s.succeeded).is_some_and(|n| n >= 1), "the restore Job completed");
    assert_eq!(ready_pods(&client, id).await, 2, "the app runs again after the restore");
    let (outcome, _) = setup.run("act-1", id, Change::Restore { backup: "nightly-9".into(), attempt: None }).await;
    assert_eq!(outcome.result, ActionResult::Refused);
    assert_eq!(outcome.message, "tenant maple-shop has no completed backup nightly-9");

    // The tenant's Events tell the story.
    let kube_events = Api::<Event>::namespaced(client.clone(), id).list(&ListParams::default()).await.expect("events");
    let reasons: Vec<String> =
        kube_events.items.iter().filter_map(|e| e.reason.clone()).filter(|r| r.starts_with("Tenantry")).collect();
    for reason in
        ["TenantryCreate", "TenantryScale", "TenantrySuspend", "TenantryRollback", "TenantryBackup", "TenantryRestore"]
    {
        assert!(reasons.iter().any(|r| r == reason), "{reason} in {reasons:?}");
    }

    // Delete: the wrong confirmation is refused, the right one removes the namespace.
    let (outcome, _) = setup.run("act-1", id, Change::Delete { confirm: "maple".into() }).await;
    assert_eq!(outcome.result, ActionResult::Refused);
    assert!(outcome.message.contains("type the tenant id \"maple-shop\" to confirm"), "{}", outcome.message);
    succeeded(&setup.run("act-1", id, Change::Delete { confirm: id.into() }).await.0);
    assert!(Api::<Namespace>::all(client.clone()).get_opt(id).await.expect("read").is_none());

    // The audit log: every action, newest first, with who ran it.
    let audit = Cache::open(&setup.cache_file).await.expect("cache").cache.audit_log().await.expect("audit");
    let actions: Vec<&str> = audit.iter().rev().map(|a| a.action.name()).collect();
    assert_eq!(
        actions,
        [
            "create", "create", "update", "scale", "scale", "scale", "suspend", "resume", "restart", "rollback",
            "backup", "restore", "restore", "delete", "delete"
        ]
    );
    assert!(audit.iter().all(|a| a.identity == "admin" && !a.os_user.is_empty() && a.context == "act-1"));
    assert_eq!(audit[1].result, ActionResult::Refused);
    assert_eq!((audit.last().expect("first").revision_before, audit.last().expect("first").revision_after), (0, 1));
    let cache = Cache::open(&setup.cache_file).await.expect("cache").cache;
    assert!(cache.unfinished().await.expect("journal").is_empty(), "nothing left unfinished");

    // No credential reached SQLite, the logs, or the events the UI receives.
    let stored = text_of_files(setup.cache_file.parent().expect("data dir"));
    let logged = text_of_files(logs.path());
    let payloads = serde_json::to_string(&events).expect("events as JSON");
    assert!(!logged.is_empty(), "the log was written");
    for credential in &credentials {
        assert!(!stored.contains(credential.as_str()), "a credential is in the cache");
        assert!(!logged.contains(credential.as_str()), "a credential is in the log");
        assert!(!payloads.contains(credential.as_str()), "a credential is in a UI payload");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_and_conflicts_change_nothing() {
    let setup = Setup::start("act-2").await;
    let client = setup.client().await;
    let id = "birch-books";
    succeeded(&setup.run("act-2", id, Change::Create { spec: spec() }).await.0);
    let helpdesk = helpdesk_context("act-2");

    // The help-desk may fix a tenant but not delete it; the refusal names the permission.
    succeeded(
        &setup.run(&helpdesk, id, Change::Scale { replicas: Some(3), autoscaling: None, workload: None }).await.0,
    );
    let (outcome, events) = setup.run(&helpdesk, id, Change::Delete { confirm: id.into() }).await;
    assert_eq!(outcome.result, ActionResult::Refused);
    assert_eq!(outcome.message, "Refused: this identity may not delete namespaces.");
    assert!(
        !events.iter().any(|e| matches!(e, ActionEvent::Started { step: Step::Journal })),
        "refused before the journal"
    );
    let preview_error = setup
        .actions
        .preview(
            &setup.entry(&helpdesk),
            &ActionRequest {
                context: helpdesk.clone(),
                tenant: id.into(),
                change: Change::Delete { confirm: id.into() },
                take_over: false,
                reason: String::new(),
            },
        )
        .await
        .expect_err("refused");
    assert_eq!(preview_error.to_ui().kind, ErrorKind::Forbidden);
    assert!(Api::<Namespace>::all(client.clone()).get_opt(id).await.expect("read").is_some());

    // Invalid inputs: refused with the reason, nothing created.
    let invalid = [
        ("Bad_Id", Change::Create { spec: spec() }, "may only hold lower-case letters"),
        (
            "oak",
            Change::Create { spec: TenantSpec { domains: vec!["shop_1.example.com".into()], ..spec() } },
            "is not a valid host name",
        ),
        ("oak", Change::Create { spec: TenantSpec { plan: "huge".into(), ..spec() } }, "is not a plan"),
        (
            "oak",
            Change::Create { spec: TenantSpec { parameters: [("port".to_owned(), "0".to_owned())].into(), ..spec() } },
            "must be at least 1",
        ),
        (
            "oak",
            Change::Create { spec: TenantSpec { blueprint: "magento".into(), ..spec() } },
            "no usable blueprint \"magento\"",
        ),
        (id, Change::Scale { replicas: Some(99), autoscaling: None, workload: None }, "must be between 0 and 4"),
        (
            id,
            Change::Create { spec: TenantSpec { version: "7.0".into(), ..spec() } },
            "already exists with another spec",
        ),
        ("ghost", Change::Suspend, "does not exist"),
        (id, Change::Rollback { revision: 42 }, "revision 42 is not in the tenant's history"),
    ];
    for (tenant, change, expected) in invalid {
        let (outcome, _) = setup.run("act-2", tenant, change).await;
        assert_eq!(outcome.result, ActionResult::Refused, "{expected}");
        assert!(outcome.message.contains(expected), "{expected}: {}", outcome.message);
    }
    assert!(Api::<Namespace>::all(client.clone()).get_opt("oak").await.expect("read").is_none());

    // A controller of record (Helm) sets the Deployment's size: Tenantry shows the conflict and
    // overwrites nothing, until the user takes over.
    let deployments = Api::<Deployment>::namespaced(client.clone(), id);
    let by_helm = serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app"}, "spec": {"replicas": 4}});
    deployments.patch("app", &PatchParams::apply("helm").force(), &Patch::Apply(&by_helm)).await.expect("set by Helm");
    let (outcome, _) =
        setup.run("act-2", id, Change::Scale { replicas: Some(2), autoscaling: None, workload: None }).await;
    assert_eq!(outcome.result, ActionResult::Failed);
    assert!(
        outcome.message.contains("changed by someone else") && outcome.message.contains("\"helm\""),
        "{}",
        outcome.message
    );
    assert!(outcome.message.contains(".spec.replicas"), "{}", outcome.message);
    assert_eq!(deployment(&client, id).await.spec.and_then(|s| s.replicas), Some(4), "nothing overwritten");
    let unfinished = setup.actions.unfinished().await.expect("journal");
    assert_eq!(unfinished.len(), 1, "the failed action waits for resume or roll back");
    let request = ActionRequest {
        context: "act-2".into(),
        tenant: id.into(),
        change: Change::Scale { replicas: Some(2), autoscaling: None, workload: None },
        take_over: true,
        reason: String::new(),
    };
    succeeded(&setup.run_request(&request).await.0);
    assert_eq!(deployment(&client, id).await.spec.and_then(|s| s.replicas), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_create_resumes_to_completion_without_duplicates() {
    let mut setup = Setup::start("act-3").await;
    let id = "cedar-lms";
    let entry = setup.entry("act-3");
    let request = ActionRequest {
        context: "act-3".into(),
        tenant: id.into(),
        change: Change::Create { spec: spec() },
        take_over: false,
        reason: String::new(),
    };

    // The API server stops the moment the create starts applying.
    let cluster = &mut setup.fleet.clusters[0];
    let outcome = setup
        .actions
        .run(&entry, &request, |event| {
            if event == (ActionEvent::Started { step: Step::Apply }) {
                cluster.stop_apiserver();
            }
        })
        .await
        .expect("recorded");
    assert_eq!(outcome.result, ActionResult::Failed, "{}", outcome.message);
    setup.fleet.clusters[0].start_apiserver().await.expect("API server back");
    let unfinished = setup.actions.unfinished().await.expect("journal");
    assert_eq!(
        unfinished.iter().map(|j| (j.id, j.state, j.step)).collect::<Vec<_>>(),
        [(outcome.journal_id, JournalState::Failed, Step::Apply)]
    );
    let resumed = setup.actions.resume(&entry, outcome.journal_id, |_| {}).await.expect("recorded");
    succeeded(&resumed);

    // The app goes away mid-rollout: the entry stays running, and resuming finishes it.
    let second = ActionRequest {
        change: Change::Scale { replicas: Some(3), autoscaling: None, workload: None },
        ..request.clone()
    };
    let (rolling, rolled) = tokio::sync::oneshot::channel();
    let mut rolling = Some(rolling);
    let run = setup.actions.run(&entry, &second, |event| {
        if matches!(event, ActionEvent::Rollout { .. })
            && let Some(signal) = rolling.take()
        {
            let _ = signal.send(());
        }
    });
    tokio::select! {
        _ = run => panic!("the run should have been dropped mid-rollout"),
        _ = rolled => {}
    }
    let unfinished = setup.actions.unfinished().await.expect("journal");
    assert_eq!(unfinished.len(), 1, "{unfinished:?}");
    assert_eq!((unfinished[0].state, unfinished[0].step), (JournalState::Running, Step::Converge));
    succeeded(&setup.actions.resume(&entry, unfinished[0].id, |_| {}).await.expect("recorded"));
    assert!(setup.actions.unfinished().await.expect("journal").is_empty());

    // Exactly one of everything.
    let client = setup.client().await;
    let replica_sets =
        Api::<ReplicaSet>::namespaced(client.clone(), id).list(&ListParams::default()).await.expect("rs");
    assert_eq!(replica_sets.items.len(), 1, "one rollout, no duplicate");
    assert_eq!(ready_pods(&client, id).await, 3);
    let secrets = Api::<Secret>::namespaced(client.clone(), id)
        .list(&ListParams::default().labels("tenantry.io/tenant"))
        .await
        .expect("secrets");
    assert_eq!(secrets.items.len(), 1);
    let claims = Api::<PersistentVolumeClaim>::namespaced(client.clone(), id)
        .list(&ListParams::default())
        .await
        .expect("claims");
    assert_eq!(claims.items.len(), 1);
    assert_eq!(revision(&client, id).await, "2");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_follows_its_tenants_through_shared_watches_and_recreates_what_is_missing() {
    let setup = Setup::start("act-4").await;
    let entry = setup.entry("act-4");
    let ids = ["birch-a", "birch-b", "birch-c"];
    let requests = |change: &dyn Fn() -> Change| -> Vec<ActionRequest> {
        ids.iter()
            .map(|id| ActionRequest {
                context: "act-4".into(),
                tenant: (*id).into(),
                change: change(),
                take_over: false,
                reason: String::new(),
            })
            .collect()
    };
    let one_pod = || Change::Create { spec: TenantSpec { replicas: 1, ..spec() } };
    let created = setup.actions.run_many(&entry, &requests(&one_pod), 2).await.expect("recorded");
    created.iter().for_each(succeeded);

    // Someone deletes a Service behind Tenantry's back; the batch's mirror starts without it.
    let client = setup.client().await;
    Api::<k8s_openapi::api::core::v1::Service>::namespaced(client.clone(), "birch-b")
        .delete("app", &Default::default())
        .await
        .expect("Service deleted");

    let three_pods = || Change::Scale { replicas: Some(3), autoscaling: None, workload: None };
    let scaled = setup.actions.run_many(&entry, &requests(&three_pods), 2).await.expect("recorded");
    scaled.iter().for_each(succeeded);
    // Each action ended only once its tenant ran as asked (not on a state seen before the write).
    for id in ids {
        assert_eq!(deployment(&client, id).await.spec.and_then(|s| s.replicas), Some(3), "{id}");
        assert_eq!(ready_pods(&client, id).await, 3, "{id}");
        assert_eq!(revision(&client, id).await, "2", "{id}");
    }
    let service = Api::<k8s_openapi::api::core::v1::Service>::namespaced(client.clone(), "birch-b");
    assert!(service.get_opt("app").await.expect("read").is_some(), "the missing Service was applied again");
    let audit = setup.actions.audit_log().await.expect("audit");
    let scales = audit.iter().filter(|a| a.action == ActionKind::Scale && a.result == ActionResult::Succeeded);
    assert_eq!(scales.count(), 3);
}
