//! "Why is this shop down?" against real local clusters: a two-pod tenant's logs, served by
//! KWOK through the API server's `pods/log`, come back merged in time order with each line's
//! pod, the last N of each, the previous container's, one pod's, followed live (a line
//! appended to a pod's log arrives); an identity without `pods/log` is refused with the
//! permission it lacks. Drift made with kubectl is found with its writer, accepted into the
//! spec and synced away. A tenant that went through create, scale, a hand edit, a crash, a
//! failure and a recovery reads as one timeline, live and from the cache once its cluster is
//! gone; its escalation bundle holds what it should, file by file, and none of its secret values.

use std::path::Path;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::ResourceExt;
use kube::api::{Api, ListParams};
use tenantry_core::actions::drift;
use tenantry_core::cluster::ClusterList;
use tenantry_core::fleet::{Fleet as Watched, Settings};
use tenantry_core::kubeconfig::{ContextEntry, Sources};
use tenantry_core::logs::LogError;
use tenantry_model::{ActionRequest, Change, Health, LogEvent, LogLine, LogRequest, TimelineKind};
use tenantry_tests::actions::{self, Setup, succeeded};
use tenantry_tests::fleet::Fleet;
use tenantry_tests::{identity, pod_logs, seed};

const CLUSTER: &str = "diag";

fn entry(kubeconfig: &Path, name: &str) -> ContextEntry {
    let list = ClusterList::load(&Sources::Explicit(kubeconfig.to_owned()));
    list.entries.iter().find(|e| e.name == name).cloned().unwrap_or_else(|| panic!("context {name}"))
}

/// Every line of a log stream that ends.
async fn read_all(fleet: &Watched, id: &str, request: &LogRequest) -> (Vec<LogLine>, Vec<String>) {
    let events: Vec<LogEvent> = fleet.logs(CLUSTER, id, request).await.expect("logs").collect().await;
    assert!(matches!(events.first(), Some(LogEvent::Started { .. })), "{events:?}");
    assert!(matches!(events.last(), Some(LogEvent::Ended)), "{events:?}");
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for event in events {
        match event {
            LogEvent::Lines { lines: batch } => lines.extend(batch),
            LogEvent::Unreadable { source, message } => problems.push(format!("{}: {message}", source.pod)),
            _ => {}
        }
    }
    (lines, problems)
}

/// Waits until the fleet's detail of `id` lists both pods with their containers.
async fn detail_lists_containers(fleet: &Watched, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(detail) = fleet.detail(CLUSTER, id).await
            && detail.pods.iter().filter(|p| !p.containers.is_empty() && p.workload.as_deref() == Some("app")).count()
                == 2
        {
            return;
        }
        assert!(Instant::now() < deadline, "the detail never lists the pods' containers");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenants_logs_merge_in_time_order_follow_live_and_need_the_permission() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cluster_fleet = Fleet::start(dir.path(), &[CLUSTER.to_owned()]).await.expect("cluster starts");
    let cluster = &cluster_fleet.clusters[0];
    let client = cluster.admin_client().await.expect("client");
    let tenant = seed::seed(&client, 1, 2).await.expect("seeded").remove(0);
    let id = tenant.id.as_str();
    let pods = running_app_pods(&client, id, 2).await;
    let logs = dir.path().join("pod-logs");
    let files_a = pod_logs::serve_pod(
        &client,
        &logs,
        id,
        &pods[0],
        &pod_logs::cri_log(&[(40, "a: first".into()), (20, "a: second".into())]),
        &pod_logs::cri_log(&[(600, "a: panic: out of memory".into())]),
    )
    .await
    .expect("pod a's log");
    let files_b = pod_logs::serve_pod(
        &client,
        &logs,
        id,
        &pods[1],
        &pod_logs::cri_log(&[(30, "b: first".into()), (10, "b: second".into())]),
        "",
    )
    .await
    .expect("pod b's log");

    let fleet = Watched::start(vec![entry(&cluster_fleet.kubeconfig, CLUSTER)], None, Settings::default()).await;
    fleet.settled(Duration::from_secs(30)).await;
    detail_lists_containers(&fleet, id).await;
    assert_eq!(fleet.log_access(CLUSTER, id).await.expect("checked"), None);

    // Both pods merged in time order, each line naming its pod and container.
    let (lines, problems) = read_all(&fleet, id, &LogRequest::default()).await;
    let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(texts, ["a: first", "b: first", "a: second", "b: second"], "{problems:?}");
    assert_eq!(lines[0].pod, pods[0]);
    assert_eq!(lines[1].pod, pods[1]);
    assert!(lines.iter().all(|l| l.container == "app" && l.at.len() == "2026-11-30T01:02:03.123456789Z".len()));

    // The last line of each, one workload's, one pod's.
    let tail = LogRequest { tail: Some(1), workload: Some("app".into()), ..LogRequest::default() };
    let (lines, _) = read_all(&fleet, id, &tail).await;
    assert_eq!(lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(), ["a: second", "b: second"]);
    let one = LogRequest { pod: Some(pods[1].clone()), ..LogRequest::default() };
    let (lines, _) = read_all(&fleet, id, &one).await;
    assert!(lines.iter().all(|l| l.pod == pods[1]) && lines.len() == 2);

    // The previous container's log: what pod a said before it crashed.
    let previous = LogRequest { previous: true, pod: Some(pods[0].clone()), ..LogRequest::default() };
    let (lines, _) = read_all(&fleet, id, &previous).await;
    assert_eq!(lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(), ["a: panic: out of memory"]);

    // Asking for what the tenant does not have is a clear refusal.
    let stranger = LogRequest { pod: Some("someone-else".into()), ..LogRequest::default() };
    assert!(matches!(fleet.logs(CLUSTER, id, &stranger).await.err(), Some(LogError::NoPod(_))));
    let no_workload = LogRequest { workload: Some("worker".into()), ..LogRequest::default() };
    assert!(matches!(fleet.logs(CLUSTER, id, &no_workload).await.err(), Some(LogError::NoWorkload(_))));

    // Following: a line appended to pod b's log arrives within seconds.
    let follow = LogRequest { follow: true, tail: Some(1), ..LogRequest::default() };
    let mut stream = Box::pin(fleet.logs(CLUSTER, id, &follow).await.expect("follows"));
    let mut seen = Vec::new();
    let initial = tokio::time::timeout(Duration::from_secs(20), async {
        while seen.len() < 2 {
            if let Some(LogEvent::Lines { lines }) = stream.next().await {
                seen.extend(lines.into_iter().map(|l| l.text));
            }
        }
    });
    initial.await.expect("the last line of each pod first");
    files_b.append("b: checkout paid").expect("append");
    files_a.append("a: order 42 shipped").expect("append");
    let appended = tokio::time::timeout(Duration::from_secs(10), async {
        while !(seen.iter().any(|t| t == "b: checkout paid") && seen.iter().any(|t| t == "a: order 42 shipped")) {
            match stream.next().await {
                Some(LogEvent::Lines { lines }) => seen.extend(lines.into_iter().map(|l| l.text)),
                Some(LogEvent::Ended) | None => panic!("the follow ended: {seen:?}"),
                Some(_) => {}
            }
        }
    });
    appended.await.unwrap_or_else(|_| panic!("appended lines do not arrive within 10 s: {seen:?}"));
    drop(stream);
    fleet.shutdown().await;

    // An identity that may list pods but not read their logs is refused, naming the permission.
    let token = identity::create_list_only(&client).await.expect("identity");
    let kubeconfig = dir.path().join("list-only.yaml");
    let yaml = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: {CLUSTER}\nclusters:\n- name: c\n  cluster:\n    server: {}\n    certificate-authority: {}\n\
         users:\n- name: u\n  user:\n    token: {token}\ncontexts:\n- name: {CLUSTER}\n  context:\n    cluster: c\n    user: u\n",
        cluster.server,
        cluster.dir.join("pki/apiserver.crt").display(),
    );
    std::fs::write(&kubeconfig, yaml).expect("write");
    let restricted = Watched::start(vec![entry(&kubeconfig, CLUSTER)], None, Settings::default()).await;
    restricted.settled(Duration::from_secs(30)).await;
    let missing = restricted.log_access(CLUSTER, id).await.expect("checked");
    assert_eq!(missing.as_deref(), Some(format!("get pods/log in namespace {id}").as_str()));
    match restricted.logs(CLUSTER, id, &LogRequest::default()).await.err() {
        Some(LogError::Forbidden(missing)) => assert!(missing.contains("pods/log"), "{missing}"),
        other => panic!("not refused: {other:?}"),
    }
    restricted.shutdown().await;
}

/// Runs kubectl with `args` as the admin of `setup`'s cluster.
fn kubectl(setup: &Setup, args: &[&str]) {
    let kubectl = tenantry_tests::binaries::Binaries::ensure().expect("binaries").path("kubectl");
    let output = std::process::Command::new(kubectl)
        .arg("--kubeconfig")
        .arg(&setup.fleet.kubeconfig)
        .args(args)
        .output()
        .expect("kubectl runs");
    assert!(output.status.success(), "kubectl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_made_with_kubectl_is_found_with_its_writer_accepted_and_synced() {
    let setup = Setup::start("drift").await;
    let context = setup.fleet.clusters[0].name.clone();
    let entry = setup.entry(&context);
    let (outcome, _) = setup.run(&context, "maple", Change::Create { spec: actions::spec() }).await;
    succeeded(&outcome);
    let clean = setup.actions.drift(&entry, "maple").await.expect("checked");
    assert!(clean.fields.is_empty(), "a tenant just created has no drift: {:?}", clean.fields);
    let fleet = Watched::start(vec![entry.clone()], None, Settings::default()).await;
    fleet.settled(Duration::from_secs(30)).await;
    assert_eq!(row_drift(&fleet, &context, false).await, None);

    // A hand scale and a hand image change, as a colleague would make them with kubectl.
    kubectl(&setup, &["-n", "maple", "scale", "deployment/app", "--replicas=4"]);
    kubectl(&setup, &["-n", "maple", "set", "image", "deployment/app", "app=registry.example.com/web:6.6.0"]);
    // The background check marks the row, naming the object, the field and the writer.
    let mark = row_drift(&fleet, &context, true).await.expect("marked drifted");
    assert!(mark.starts_with("Deployment app: spec") && mark.contains("changed by kubectl"), "{mark}");
    let report = setup.actions.drift(&entry, "maple").await.expect("checked");
    let field = |path: &str| {
        report.fields.iter().find(|f| f.path == path).unwrap_or_else(|| panic!("{path}: {:?}", report.fields))
    };
    let replicas = field("spec.replicas");
    assert_eq!((replicas.live.as_deref(), replicas.rendered.as_deref()), (Some("4"), Some("2")));
    assert_eq!(replicas.manager.as_deref(), Some("kubectl"));
    assert!(replicas.at.is_some());
    let image = field("spec.template.spec.containers[0].image");
    assert_eq!(image.manager.as_deref(), Some("kubectl-set"));
    assert_eq!(image.accepts_as.as_deref(), Some("version"));
    assert_eq!(report.fields.iter().filter(|f| f.object == "Deployment/app").count(), 2, "{:?}", report.fields);

    // Accept records the live version as a new revision; the size is left for a second accept.
    let accepted = setup.actions.accept_drift(&entry, "maple", "TICKET-9 keep the hotfix").await.expect("accept");
    let request = accepted.request.expect("the version maps back to the spec");
    assert_eq!(request.change, Change::version_update(Some("6.6.0".into())));
    let (outcome, _) = setup.run_request(&request).await;
    succeeded(&outcome);
    let after = setup.actions.drift(&entry, "maple").await.expect("checked");
    assert!(after.fields.iter().all(|f| f.path != "spec.template.spec.containers[0].image"), "{:?}", after.fields);

    // Sync takes the rest back: the hand scale goes, nothing drifts, and the audit says so.
    let sync = ActionRequest {
        context: context.clone(),
        tenant: "maple".into(),
        change: drift::sync_change(),
        take_over: false,
        reason: "sync".into(),
    };
    let (outcome, _) = setup.run_request(&sync).await;
    succeeded(&outcome);
    let synced = setup.actions.drift(&entry, "maple").await.expect("checked");
    assert!(synced.fields.is_empty(), "{:?}", synced.fields);
    let deployment = actions::deployment(&setup.client().await, "maple").await;
    assert_eq!(deployment.spec.and_then(|s| s.replicas), Some(2));
    let audit = setup.actions.audit_log().await.expect("audit");
    assert!(audit.iter().any(|e| e.tenant == "maple" && e.reason == "TICKET-9 keep the hotfix"));
    assert_eq!(row_drift(&fleet, &context, false).await, None, "the row's mark goes once synced");
    fleet.shutdown().await;
}

/// Maple's drift mark in the fleet once the background sweep (run now) says it is `drifted`
/// or not, within 20 s.
async fn row_drift(fleet: &Watched, context: &str, drifted: bool) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        fleet.recheck_drift(context);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mark = fleet.tenants().into_iter().find(|t| t.id == "maple").and_then(|t| t.drift);
        if mark.is_some() == drifted || Instant::now() > deadline {
            return mark;
        }
    }
}

/// Waits until the fleet's row of `id` has `health`.
async fn health_becomes(fleet: &Watched, id: &str, health: Health) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while fleet.tenants().iter().find(|t| t.id == id).map(|t| t.health) != Some(health) {
        assert!(Instant::now() < deadline, "{id} never becomes {health:?}: {:?}", fleet.tenants());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every value of every Secret of namespace `id`, decoded and as stored (base64).
async fn secret_values(client: &kube::Client, id: &str) -> Vec<String> {
    use base64::Engine as _;
    let secrets = Api::<Secret>::namespaced(client.clone(), id).list(&ListParams::default()).await.expect("secrets");
    let mut values = Vec::new();
    for secret in secrets.items {
        for value in secret.data.unwrap_or_default().into_values() {
            let text = String::from_utf8_lossy(&value.0).into_owned();
            if text.len() >= 6 {
                values.push(base64::engine::general_purpose::STANDARD.encode(&value.0));
                values.push(text);
            }
        }
    }
    values
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenants_story_reads_as_a_timeline_online_and_offline_and_bundles_without_secrets() {
    let mut setup = Setup::start("story").await;
    let context = setup.fleet.clusters[0].name.clone();
    let entry = setup.entry(&context);
    let client = setup.client().await;
    let fleet = Watched::start(vec![entry.clone()], Some(&setup.cache_file), Settings::default()).await;
    fleet.settled(Duration::from_secs(30)).await;

    // Created with a secret config value, then scaled with a ticket as the reason.
    let mut spec = actions::spec();
    spec.config.insert("DB_PASSWORD".into(), "maple-db-password-4711".into());
    let (outcome, _) = setup.run(&context, "maple", Change::Create { spec }).await;
    succeeded(&outcome);
    let scale = ActionRequest {
        context: context.clone(),
        tenant: "maple".into(),
        change: Change::Scale { replicas: Some(3), autoscaling: None, workload: None },
        take_over: false,
        reason: "TICKET-1 more capacity".into(),
    };
    succeeded(&setup.run_request(&scale).await.0);
    health_becomes(&fleet, "maple", Health::Healthy).await;

    // A hand edit with kubectl, a crash and restart, then a failure (a pod that cannot be
    // scheduled) and its recovery.
    kubectl(
        &setup,
        &["-n", "maple", "patch", "deployment", "app", "--type=merge", "-p", r#"{"spec":{"minReadySeconds":1}}"#],
    );
    let pods = running_app_pods(&client, "maple", 3).await;
    pod_logs::serve_pod(
        &client,
        &setup.dir.path().join("pod-logs"),
        "maple",
        &pods[0],
        &pod_logs::cri_log(&[(5, "GET /checkout 200".into())]),
        &pod_logs::cri_log(&[(60, "FATAL: out of memory".into())]),
    )
    .await
    .expect("logs");
    pod_logs::mark_restarted(&client, "maple", &pods[0]).await.expect("restarted");
    tenantry_tests::cluster::cordon(&client, true).await.expect("cordon");
    Api::<Pod>::namespaced(client.clone(), "maple").delete(&pods[2], &Default::default()).await.expect("delete");
    health_becomes(&fleet, "maple", Health::Degraded).await;
    tenantry_tests::cluster::cordon(&client, false).await.expect("uncordon");
    health_becomes(&fleet, "maple", Health::Healthy).await;

    let timeline = fleet.timeline(&context, "maple").await.expect("known");
    assert!(timeline.live, "{:?}", timeline.notes);
    let has = |kind: TimelineKind, part: &str| {
        timeline.entries.iter().any(|e| e.kind == kind && (e.title.contains(part) || e.detail.contains(part)))
    };
    let titles: Vec<String> = timeline.entries.iter().map(|e| format!("{} {}", e.kind.name(), e.title)).collect();
    assert!(has(TimelineKind::Revision, "Revision 1: create"), "{titles:#?}");
    let revision_2 = timeline.entries.iter().find(|e| e.title == "Revision 2: scale").expect("revision 2");
    assert_eq!(revision_2.detail, "why: TICKET-1 more capacity");
    assert!(revision_2.by.contains("admin"), "{}", revision_2.by);
    assert!(
        has(TimelineKind::Action, "create succeeded") && has(TimelineKind::Action, "scale succeeded"),
        "{titles:#?}"
    );
    assert!(has(TimelineKind::Edit, "Deployment/app: spec.minReadySeconds"), "{titles:#?}");
    assert!(timeline.entries.iter().any(|e| e.kind == TimelineKind::Edit && e.by == "kubectl-patch"));
    assert!(has(TimelineKind::Restart, &pods[0]), "{titles:#?}");
    assert!(has(TimelineKind::Health, "Became degraded") && has(TimelineKind::Health, "Became healthy"), "{titles:#?}");
    assert!(has(TimelineKind::Warning, "FailedScheduling"), "{titles:#?}");
    let newest_first = timeline.entries.windows(2).all(|pair| pair[0].at >= pair[1].at);
    assert!(newest_first, "{titles:#?}");
    let position = |title: &str| timeline.entries.iter().position(|e| e.title.starts_with(title)).expect(title);
    assert!(position("Revision 2") < position("Revision 1"));

    // The bundle, file by file, with no secret value anywhere in it.
    let out = setup.dir.path().join("bundles");
    let report = fleet.bundle(&context, "maple", &out).await.expect("written");
    let unpacked = setup.dir.path().join("unpacked");
    std::fs::create_dir_all(&unpacked).expect("dir");
    let untar =
        std::process::Command::new("tar").arg("xzf").arg(&report.path).arg("-C").arg(&unpacked).status().expect("tar");
    assert!(untar.success());
    let root = unpacked.join("maple");
    let read = |name: &str| {
        std::fs::read_to_string(root.join(name)).unwrap_or_else(|e| panic!("{name}: {e}; files {:?}", report.files))
    };
    let readme = read("README.md");
    assert!(
        readme.contains("maple on story")
            && readme.contains("- Health: healthy")
            && readme.contains("## Latest\n\n- 20"),
        "{readme}"
    );
    assert!(read("spec.json").contains("\"revision\": 2"));
    assert!(read("history.json").contains("TICKET-1 more capacity"));
    let deployment = read("objects/Deployment/app.yaml");
    assert!(deployment.contains("minReadySeconds: 1") && !deployment.contains("managedFields"), "{deployment}");
    assert!(read("objects/Namespace/maple.yaml").contains("tenantry.io/spec"));
    let secrets: Vec<&String> = report.files.iter().filter(|f| f.starts_with("objects/Secret/")).collect();
    assert!(!secrets.is_empty(), "{:?}", report.files);
    for secret in &secrets {
        let text = read(secret);
        assert!(text.contains(tenantry_core::bundle::LEFT_OUT), "{text}");
    }
    assert!(read("events.yaml").contains("FailedScheduling"));
    assert!(read(&format!("logs/{}/app.log", pods[0])).contains("GET /checkout 200"));
    assert!(read(&format!("logs/{}/app.previous.log", pods[0])).contains("FATAL: out of memory"));
    assert!(read("timeline.txt").contains("Revision 2: scale"));
    assert!(read("audit.json").contains("TICKET-1 more capacity"));
    assert!(read("health-history.json").contains("degraded"));
    let values = secret_values(&client, "maple").await;
    assert!(values.iter().any(|v| v == "maple-db-password-4711"), "the secret config value is in the tenant's Secret");
    for name in &report.files {
        let text = read(name);
        for value in &values {
            assert!(!text.contains(value.as_str()), "{name} holds a secret value");
        }
    }
    fleet.shutdown().await;

    // Offline: the cluster's API server is gone; the timeline reads from the cache.
    setup.fleet.clusters[0].stop_apiserver();
    let offline = Watched::start(vec![entry], Some(&setup.cache_file), Settings::default()).await;
    let remembered = offline.timeline(&context, "maple").await.expect("cached");
    assert!(!remembered.live);
    let kinds: std::collections::BTreeSet<TimelineKind> = remembered.entries.iter().map(|e| e.kind).collect();
    for kind in [
        TimelineKind::Revision,
        TimelineKind::Action,
        TimelineKind::Edit,
        TimelineKind::Health,
        TimelineKind::Restart,
        TimelineKind::Warning,
    ] {
        assert!(kinds.contains(&kind), "{kind:?} offline: {kinds:?}");
    }
    offline.shutdown().await;
}

/// The names of `id`'s app pods once `count` of them run with their containers started.
async fn running_app_pods(client: &kube::Client, id: &str, count: usize) -> Vec<String> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), id);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listed = pods.list(&ListParams::default().labels("app.kubernetes.io/name=app")).await.expect("pods");
        let mut started: Vec<String> = listed
            .items
            .iter()
            .filter(|p| p.status.as_ref().and_then(|s| s.container_statuses.as_ref()).is_some_and(|c| !c.is_empty()))
            .map(ResourceExt::name_any)
            .collect();
        if started.len() == count {
            started.sort();
            return started;
        }
        assert!(Instant::now() < deadline, "{count} pods do not start: {started:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
