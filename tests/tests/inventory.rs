//! The watched tenant inventory against real seeded clusters: it equals what was seeded, for
//! the admin and the help-desk identity; readiness changes reach the change stream; an
//! unreachable cluster fails its sync cleanly.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use std::sync::Arc;
use tenantry_core::cluster::ClusterList;

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt as _;
use kube::api::{Api, Patch, PatchParams};
use tenantry_core::inventory::{self, ClusterInventory, InventoryError};
use tenantry_core::kubeconfig::{ContextEntry, Sources};
use tenantry_model::{Health, TenantChanges};
use tenantry_tests::cluster::client_for;
use tenantry_tests::fleet::{Fleet, helpdesk_context};
use tenantry_tests::seed::{self, Condition, SeededTenant};

/// id → (domains, version, health): what the inventory must show.
type Expected = BTreeMap<String, (Vec<String>, String, Health)>;

fn expected(tenants: &[SeededTenant]) -> Expected {
    tenants
        .iter()
        .map(|t| {
            let health = match t.condition {
                Condition::Healthy => Health::Healthy,
                Condition::Unschedulable => Health::Down,
                Condition::Suspended => Health::Suspended,
            };
            (t.id.clone(), (vec![t.domain.clone()], t.version.clone(), health))
        })
        .collect()
}

fn entry(list: &ClusterList, name: &str) -> ContextEntry {
    list.entries.iter().find(|e| e.name == name).cloned().unwrap_or_else(|| panic!("context {name} exists"))
}

/// Polls the inventory until it shows `want` (pods take a few seconds to become ready).
async fn converges(inventory: &ClusterInventory, want: &Expected) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let got: Expected = inventory
            .summaries()
            .into_iter()
            .map(|s| {
                assert_eq!(s.cluster, inventory.context);
                (s.id, (s.domains, s.version, s.health))
            })
            .collect();
        if &got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{}: inventory\n{got:?}\nnever matched the seed\n{want:?}",
            inventory.context
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Waits for a batch in which `id` has `health`; panics after a few seconds.
async fn health_arrives(changes: &mut (impl futures::Stream<Item = TenantChanges> + Unpin), id: &str, health: Health) {
    let wait = async {
        while let Some(batch) = changes.next().await {
            if batch.upserted.iter().any(|t| t.id == id && t.health == health) {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap_or_else(|_| panic!("{id} never turned {health:?}"));
}

/// A pod of a healthy tenant stops being ready: the tenant turns degraded in the change stream,
/// and healthy again when the pod recovers.
async fn readiness_flips_reach_the_change_stream(fleet: &Fleet, list: &ClusterList) {
    let inventory =
        ClusterInventory::start_synced(&entry(list, "local-1"), Duration::from_secs(30)).await.expect("syncs");
    let mut changes = inventory::changes(Arc::new(inventory), Duration::from_millis(100)).boxed();
    let everything = changes.next().await.expect("the first batch lists every tenant");
    let tenant = seed::tenant(0, 2).id;
    assert!(everything.upserted.iter().any(|t| t.id == tenant && t.health == Health::Healthy));

    let pods: Api<Pod> =
        Api::namespaced(client_for(&fleet.kubeconfig, Some("local-1")).await.expect("client"), &tenant);
    let pod = pods.list(&Default::default()).await.expect("pods").items.remove(0).name_any();
    let set_ready = |ready: &'static str| serde_json::json!({"status": {"conditions": [{"type": "Ready", "status": ready, "reason": "Probe"}]}});
    pods.patch_status(&pod, &PatchParams::default(), &Patch::Strategic(set_ready("False")))
        .await
        .expect("pod not ready");
    health_arrives(&mut changes, &tenant, Health::Degraded).await;
    pods.patch_status(&pod, &PatchParams::default(), &Patch::Strategic(set_ready("True"))).await.expect("pod ready");
    health_arrives(&mut changes, &tenant, Health::Healthy).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn inventory_matches_what_was_seeded() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fleet = Fleet::start(dir.path(), &["local-1".to_owned(), "local-2".to_owned()]).await.expect("clusters start");
    let first = seed::seed(&client_for(&fleet.kubeconfig, Some("local-1")).await.expect("client"), 12, 2).await;
    let second = seed::seed(&client_for(&fleet.kubeconfig, Some("local-2")).await.expect("client"), 7, 1).await;
    let (first, second) = (expected(&first.expect("seeded")), expected(&second.expect("seeded")));

    let list = ClusterList::load(&Sources::Explicit(fleet.kubeconfig.clone()));
    let chosen: Vec<&str> = list.one_context_per_server().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(chosen, vec!["local-1", "local-2"], "one context per API server, help-desk duplicates left out");

    for (context, want) in [("local-1", &first), ("local-2", &second), (helpdesk_context("local-1").as_str(), &first)] {
        let inventory = ClusterInventory::start(&entry(&list, context)).await.expect("watches start");
        inventory.synced(Duration::from_secs(30)).await.expect("the first listing arrives");
        converges(&inventory, want).await;
    }

    readiness_flips_reach_the_change_stream(&fleet, &list).await;

    let closed_port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let text = std::fs::read_to_string(&fleet.kubeconfig).expect("kubeconfig");
    let server = &fleet.clusters[0].server;
    let unreachable = dir.path().join("unreachable.yaml");
    std::fs::write(&unreachable, text.replace(server.as_str(), &format!("https://127.0.0.1:{closed_port}")))
        .expect("write");
    let list = ClusterList::load(&Sources::Explicit(unreachable));
    let inventory = ClusterInventory::start(&entry(&list, "local-1")).await.expect("watches start, then retry");
    match inventory.synced(Duration::from_secs(2)).await {
        Err(InventoryError::NotSynced { context, .. }) => assert_eq!(context, "local-1"),
        other => panic!("an unreachable cluster must not sync: {other:?}"),
    }
}
