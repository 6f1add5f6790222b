//! "Why is this shop down?" against real local clusters: a two-pod tenant's logs, served by
//! KWOK through the API server's `pods/log`, come back merged in time order with each line's
//! pod, the last N of each, the previous container's, one pod's, followed live (a line
//! appended to a pod's log arrives); an identity without `pods/log` is refused with the
//! permission it lacks. Drift made with kubectl is found with its writer, accepted into the
//! spec and synced away.

use std::path::Path;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::api::{Api, ListParams};
use tenantry_core::actions::drift;
use tenantry_core::cluster::ClusterList;
use tenantry_core::fleet::{Fleet as Watched, Settings};
use tenantry_core::kubeconfig::{ContextEntry, Sources};
use tenantry_core::logs::LogError;
use tenantry_model::{ActionRequest, Change, LogEvent, LogLine, LogRequest};
use tenantry_tests::actions::{self, Setup, succeeded};
use tenantry_tests::fleet::Fleet;
use tenantry_tests::{identity, pod_logs, seed};

const CLUSTER: &str = "diag";

fn entry(kubeconfig: &Path, name: &str) -> ContextEntry {
    let list = ClusterList::load(&Sources::Explicit(kubeconfig.to_owned()));
    list.entries.iter().find(|e| e.name == name).cloned().unwrap_or_else(|| panic!("context {name}"))
}

/// The names of the tenant's app pods once both run with their container started.
async fn running_pods(client: &kube::Client, id: &str) -> Vec<String> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), id);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listed = pods.list(&ListParams::default().labels("app.kubernetes.io/name=app")).await.expect("pods");
        let started: Vec<String> = listed
            .items
            .iter()
            .filter(|p| p.status.as_ref().and_then(|s| s.container_statuses.as_ref()).is_some_and(|c| !c.is_empty()))
            .map(ResourceExt::name_any)
            .collect();
        if started.len() == 2 {
            let mut started = started;
            started.sort();
            return started;
        }
        assert!(Instant::now() < deadline, "the tenant's two pods do not start: {started:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
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
    let pods = running_pods(&client, id).await;
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
    assert_eq!(
        request.change,
        Change::Update { version: Some("6.6.0".into()), plan: None, domains: None, config: None }
    );
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
