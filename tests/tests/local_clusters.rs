//! Real local clusters: both identities authenticate, the help-desk identity is limited as
//! designed, seeded tenants converge, and every probe failure is classified for the user.

use std::time::{Duration, Instant};

use futures::StreamExt as _;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use tenantry_core::cluster::ClusterList;
use tenantry_core::kubeconfig::Sources;
use tenantry_model::{ErrorKind, Probe};
use tenantry_tests::cluster::client_for;
use tenantry_tests::fleet::{Fleet, helpdesk_context};
use tenantry_tests::seed::{self, Condition};

const HELPDESK_USER: &str = "system:serviceaccount:tenantry-system:tenantry-helpdesk";

async fn client(fleet: &Fleet, context: &str) -> kube::Client {
    client_for(&fleet.kubeconfig, Some(context)).await.expect("context yields a client")
}

/// A second kubeconfig file with one broken context per failure the probe must classify.
fn broken_contexts(fleet: &Fleet, closed_port: u16, silent_port: u16) -> String {
    use base64::Engine as _;
    let [one, two] = [&fleet.clusters[0], &fleet.clusters[1]];
    let ca_of = |c: &tenantry_tests::cluster::LocalCluster| base64::engine::general_purpose::STANDARD.encode(&c.ca_pem);
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n\
         - name: closed\n  cluster:\n    server: https://127.0.0.1:{closed_port}\n    certificate-authority-data: {ca1}\n\
         - name: silent\n  cluster:\n    server: https://127.0.0.1:{silent_port}\n    certificate-authority-data: {ca1}\n\
         - name: wrong-ca\n  cluster:\n    server: {server1}\n    certificate-authority-data: {ca2}\n\
         - name: right\n  cluster:\n    server: {server1}\n    certificate-authority-data: {ca1}\n\
         users:\n- name: stale\n  user:\n    token: not-a-valid-token\n- name: good\n  user:\n    token: {token1}\n\
         contexts:\n\
         - name: x-unreachable\n  context:\n    cluster: closed\n    user: good\n\
         - name: x-silent\n  context:\n    cluster: silent\n    user: good\n\
         - name: x-wrong-ca\n  context:\n    cluster: wrong-ca\n    user: good\n\
         - name: x-expired-token\n  context:\n    cluster: right\n    user: stale\n\
         - name: x-no-cluster\n  context:\n    cluster: deleted-cluster\n    user: good\n",
        ca1 = ca_of(one),
        ca2 = ca_of(two),
        server1 = one.server,
        token1 = one.admin_token,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn local_clusters_behave_like_real_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let names = vec!["local-1".to_owned(), "local-2".to_owned()];
    let started = Instant::now();
    let fleet = Fleet::start(dir.path(), &names).await.expect("two local clusters start");
    eprintln!("2 clusters up in {:.1} s", started.elapsed().as_secs_f32());

    admin_and_helpdesk_authenticate(&fleet).await;
    helpdesk_is_limited(&fleet).await;
    seeded_tenants_converge(&fleet).await;
    probe_failures_are_classified(&fleet, dir.path()).await;
}

async fn admin_and_helpdesk_authenticate(fleet: &Fleet) {
    let list = ClusterList::load(&Sources::Explicit(fleet.kubeconfig.clone()));
    let mut probes: Vec<(String, Probe)> =
        list.probe_chosen(Duration::from_secs(10)).map(|result| (result.context, result.probe)).collect().await;
    probes.sort_by(|a, b| a.0.cmp(&b.0));
    let identities: Vec<(&str, Option<&str>)> = probes
        .iter()
        .map(|(context, probe)| match probe {
            Probe::Reachable { version, identity, .. } => {
                assert_eq!(version, "v1.33.13", "{context} reports the pinned Kubernetes version");
                (context.as_str(), identity.as_deref())
            }
            other => panic!("{context} is not reachable: {other:?}"),
        })
        .collect();
    assert_eq!(
        identities,
        vec![
            ("local-1", Some("admin")),
            ("local-1-helpdesk", Some(HELPDESK_USER)),
            ("local-2", Some("admin")),
            ("local-2-helpdesk", Some(HELPDESK_USER)),
        ]
    );
}

async fn helpdesk_is_limited(fleet: &Fleet) {
    let admin = client(fleet, "local-1").await;
    seed::seed(&admin, 1, 1).await.expect("one tenant seeded");
    let tenant = seed::tenant(0, 1).id;
    let helpdesk = client(fleet, &helpdesk_context("local-1")).await;

    let tenants = Api::<Namespace>::all(helpdesk.clone())
        .list(&ListParams::default().labels("tenantry.io/tenant"))
        .await
        .expect("help-desk lists tenant namespaces");
    assert!(tenants.items.iter().any(|ns| ns.metadata.name.as_deref() == Some(tenant.as_str())));

    let deployments: Api<Deployment> = Api::namespaced(helpdesk.clone(), &tenant);
    let scale = serde_json::json!({"spec": {"replicas": 2}});
    deployments
        .patch_scale("app", &PatchParams::default(), &Patch::Merge(&scale))
        .await
        .expect("help-desk may scale a tenant's deployment");

    let refused = Api::<Namespace>::all(helpdesk).delete(&tenant, &DeleteParams::default()).await;
    match refused {
        Err(kube::Error::Api(status)) => assert_eq!(status.code, 403, "deleting a namespace is forbidden: {status:?}"),
        other => panic!("help-desk deleting a namespace must be forbidden, got {other:?}"),
    }
    let still_there = Api::<Namespace>::all(admin).get(&tenant).await.expect("the namespace survives");
    assert!(still_there.metadata.deletion_timestamp.is_none());
}

async fn seeded_tenants_converge(fleet: &Fleet) {
    let admin = client(fleet, "local-2").await;
    let tenants = seed::seed(&admin, 12, 2).await.expect("tenants seeded");
    assert!(tenants.iter().any(|t| t.condition == Condition::Unschedulable));
    assert!(tenants.iter().any(|t| t.condition == Condition::Suspended));
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let mut pending = Vec::new();
        for tenant in &tenants {
            let deployment =
                Api::<Deployment>::namespaced(admin.clone(), &tenant.id).get("app").await.expect("deployment exists");
            let status = deployment.status.unwrap_or_default();
            let ready = status.ready_replicas.unwrap_or(0);
            let converged = match tenant.condition {
                Condition::Healthy => ready == tenant.replicas && tenant.replicas == 2,
                Condition::Unschedulable => ready == 0 && status.replicas.unwrap_or(0) == 2,
                Condition::Suspended => ready == 0 && tenant.replicas == 0,
            };
            if !converged {
                pending.push(format!("{} ({:?}: {ready} ready)", tenant.id, tenant.condition));
            }
        }
        if pending.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "tenants did not converge: {pending:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn probe_failures_are_classified(fleet: &Fleet, dir: &std::path::Path) {
    let closed_port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("silent listener");
    let silent_port = silent.local_addr().expect("address").port();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let extra = dir.join("broken.kubeconfig");
    std::fs::write(&extra, broken_contexts(fleet, closed_port, silent_port)).expect("write broken kubeconfig");

    let sources = Sources::List(vec![fleet.kubeconfig.clone(), extra]);
    let list = ClusterList::load(&sources);
    let rows = list.rows();
    let no_cluster = rows.iter().find(|r| r.context == "x-no-cluster").expect("row for the broken context");
    match &no_cluster.probe {
        Probe::Failed { error } => assert_eq!(error.kind, ErrorKind::BadKubeconfig),
        other => panic!("a context without cluster is broken before any probe, got {other:?}"),
    }
    let probes: Vec<(String, Probe)> =
        list.probe_chosen(Duration::from_secs(3)).map(|result| (result.context, result.probe)).collect().await;
    let kind_of = |context: &str| match probes.iter().find(|(c, _)| c == context).map(|(_, p)| p) {
        Some(Probe::Failed { error }) => {
            assert!(!error.message.is_empty() && !error.detail.is_empty(), "{context}: {error:?}");
            Some(error.kind)
        }
        Some(Probe::Reachable { .. }) => None,
        other => panic!("{context}: unexpected {other:?}"),
    };
    assert_eq!(kind_of("x-unreachable"), Some(ErrorKind::Unreachable));
    assert_eq!(kind_of("x-silent"), Some(ErrorKind::Unreachable));
    assert_eq!(kind_of("x-wrong-ca"), Some(ErrorKind::Tls));
    assert_eq!(kind_of("x-expired-token"), Some(ErrorKind::Unauthorized));
    assert_eq!(kind_of("local-1"), None, "the good contexts of the merged files still work");
    assert_eq!(probes.len(), rows.len() - 1, "every usable context was probed, the broken one was not");
    hold.abort();
}
