//! The watched fleet against three real seeded clusters: the inventory equals what was seeded
//! (admin and help-desk identity); an identity that may list only what the tenant list needs
//! gets a live view with a note for each kind it cannot see; a pod's readiness flip reaches
//! subscribers and back; a tenant made while the fleet watches arrives and leaves with its
//! namespace (each pass building only the rows its events touched); a stopped API server turns
//! its cluster's rows stale while the others keep updating, and they go live again when it
//! returns; with every cluster down a restarted fleet serves the whole cache with its age (and,
//! started for a window, tries no cluster until the window has the cached rows on screen); a
//! corrupted cache is rebuilt with a notice; an unreachable cluster is reported as such.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::ResourceExt as _;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use tenantry_core::cluster::ClusterList;
use tenantry_core::fleet::{Fleet as Watched, Settings};
use tenantry_core::inventory::ClusterInventory;
use tenantry_core::kubeconfig::{ContextEntry, Sources};
use tenantry_model::{ConnectionState, ErrorKind, FleetEvent, Freshness, Health};
use tenantry_tests::cluster::client_for;
use tenantry_tests::fleet::{Fleet, helpdesk_context};
use tenantry_tests::identity;
use tenantry_tests::seed::{self, Condition, SeededTenant};

/// id → (domains, version, health, has a backup): what the inventory must show.
type Expected = BTreeMap<String, (Vec<String>, String, Health, bool)>;

const NAMES: [&str; 3] = ["local-1", "local-2", "local-3"];

fn expected(tenants: &[SeededTenant]) -> Expected {
    tenants
        .iter()
        .map(|t| {
            let health = match t.condition {
                Condition::Healthy => Health::Healthy,
                Condition::Unschedulable => Health::Down,
                Condition::Suspended => Health::Suspended,
            };
            (t.id.clone(), (vec![t.domain.clone()], t.version.clone(), health, t.backup.is_some()))
        })
        .collect()
}

fn entry(list: &ClusterList, name: &str) -> ContextEntry {
    list.entries.iter().find(|e| e.name == name).cloned().unwrap_or_else(|| panic!("context {name} exists"))
}

/// Polls the inventory until it shows `want` (pods and backup Jobs take a few seconds).
async fn converges(inventory: &ClusterInventory, want: &Expected) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let summaries = inventory.summaries();
        let got: Expected = summaries
            .iter()
            .map(|s| {
                let backed_up =
                    s.last_backup.as_ref().is_some_and(|b| b.result == tenantry_model::BackupResult::Succeeded);
                (s.id.clone(), (s.domains.clone(), s.version.clone(), s.health, backed_up))
            })
            .collect();
        if &got == want {
            assert!(summaries.iter().all(|s| s.cluster == inventory.context && s.freshness == Freshness::Live));
            assert!(summaries.iter().all(|s| s.last_change.is_some()), "Tenantry's writes date the last change");
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

/// Reads `events` until `check` holds for one of them; panics after `seconds`.
async fn arrives(
    events: &mut (impl futures::Stream<Item = FleetEvent> + Unpin),
    seconds: u64,
    what: &str,
    check: impl Fn(&FleetEvent) -> bool,
) {
    let wait = async {
        while let Some(event) = events.next().await {
            if check(&event) {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(seconds), wait).await.unwrap_or_else(|_| panic!("never saw: {what}"));
}

fn tenant_turns(event: &FleetEvent, cluster: &str, id: &str, health: Health) -> bool {
    matches!(event, FleetEvent::Changes(c) if c.upserted.iter().any(|t| t.cluster == cluster && t.id == id && t.health == health))
}

fn cluster_turns(event: &FleetEvent, context: &str, state: ConnectionState) -> bool {
    matches!(event, FleetEvent::Cluster(s) if s.context == context && s.state == state)
}

/// Patches the Ready condition of the first pod of tenant `id` on cluster `context`.
async fn set_ready(kubeconfig: &Path, context: &str, id: &str, ready: &str) {
    let pods: Api<Pod> = Api::namespaced(client_for(kubeconfig, Some(context)).await.expect("client"), id);
    let mut names: Vec<String> =
        pods.list(&Default::default()).await.expect("pods").items.iter().map(|p| p.name_any()).collect();
    names.sort();
    let patch = serde_json::json!({"status": {"conditions": [{"type": "Ready", "status": ready, "reason": "Probe"}]}});
    pods.patch_status(&names[0], &PatchParams::default(), &Patch::Strategic(patch)).await.expect("pod patched");
}

/// A context for local-1 whose identity may list only namespaces, deployments and pods.
async fn list_only_context(fleet: &Fleet, dir: &Path) -> ContextEntry {
    let cluster = &fleet.clusters[0];
    let token = identity::create_list_only(&cluster.admin_client().await.expect("client")).await.expect("identity");
    let kubeconfig = dir.join("list-only.yaml");
    let yaml = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: list-only\nclusters:\n- name: c\n  cluster:\n    server: {}\n    certificate-authority: {}\n\
         users:\n- name: u\n  user:\n    token: {token}\ncontexts:\n- name: list-only\n  context:\n    cluster: c\n    user: u\n",
        cluster.server,
        cluster.dir.join("pki/apiserver.crt").display(),
    );
    std::fs::write(&kubeconfig, yaml).expect("write");
    entry(&ClusterList::load(&Sources::Explicit(kubeconfig)), "list-only")
}

/// The cluster's notes once `expected` optional watches have had their first answer (the
/// detail kinds list a few at a time; 10 s at most).
async fn notes_settle(inventory: &ClusterInventory, expected: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while inventory.status().notes.len() < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    inventory.status().notes
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fleet_follows_three_clusters_through_outages_and_restarts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let names: Vec<String> = NAMES.iter().map(|n| (*n).to_owned()).collect();
    let mut fleet = Fleet::start(dir.path(), &names).await.expect("clusters start");
    let mut seeded = Vec::new();
    for (name, count) in NAMES.iter().zip([12, 7, 5]) {
        let client = client_for(&fleet.kubeconfig, Some(name)).await.expect("client");
        seeded.push(expected(&seed::seed(&client, count, 2).await.expect("seeded")));
    }
    let list = ClusterList::load(&Sources::Explicit(fleet.kubeconfig.clone()));
    let chosen: Vec<&str> = list.fleet().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(chosen, NAMES, "one context per API server, help-desk duplicates left out");

    // The inventory equals the seed, for the admin and for the help-desk identity.
    let helpdesk = helpdesk_context("local-1");
    for (context, want) in NAMES.iter().copied().zip(&seeded).chain([(helpdesk.as_str(), &seeded[0])]) {
        let inventory =
            ClusterInventory::start_synced(&entry(&list, context), Duration::from_secs(30)).await.expect("syncs");
        converges(&inventory, want).await;
        assert_eq!(inventory.status().state, ConnectionState::Live);
        assert!(inventory.status().notes.is_empty(), "{context} may list everything: {:?}", inventory.status().notes);
    }

    // An identity that may list only namespaces, deployments and pods: live, with notes.
    let restricted = list_only_context(&fleet, dir.path()).await;
    let inventory = ClusterInventory::start_synced(&restricted, Duration::from_secs(30)).await.expect("syncs");
    let without_backups = seeded[0].iter().map(|(id, (d, v, h, _))| (id.clone(), (d.clone(), v.clone(), *h, false)));
    converges(&inventory, &without_backups.collect()).await;
    let notes = notes_settle(&inventory, 6).await;
    assert_eq!(inventory.status().state, ConnectionState::Live);
    assert!(
        notes.contains(&"Warning events are hidden: this identity may not list them.".to_owned()),
        "notes {notes:?}"
    );
    assert_eq!(notes.len(), 6, "statefulsets, backups, cronjobs, autoscalers, ingresses, events: {notes:?}");
    drop(inventory);

    // The fleet, with a cache: every cluster goes live with every tenant.
    let cache = dir.path().join("data/cache.sqlite");
    let entries: Vec<ContextEntry> = list.watched(None).into_iter().cloned().collect();
    let watched = Watched::start(entries.clone(), Some(&cache), Settings::default()).await;
    let mut events = Box::pin(watched.subscribe());
    watched.settled(Duration::from_secs(30)).await;
    assert!(watched.clusters().iter().all(|c| c.state == ConnectionState::Live), "{:?}", watched.clusters());
    assert_eq!(watched.tenants().len(), 24);
    assert!(watched.tenants().iter().all(|t| t.freshness.is_live()));

    // A pod stops being ready: degraded in the stream, and healthy again.
    let first = seed::tenant(0, 2).id;
    set_ready(&fleet.kubeconfig, "local-1", &first, "False").await;
    arrives(&mut events, 10, "degraded", |e| tenant_turns(e, "local-1", &first, Health::Degraded)).await;
    set_ready(&fleet.kubeconfig, "local-1", &first, "True").await;
    arrives(&mut events, 10, "healthy again", |e| tenant_turns(e, "local-1", &first, Health::Healthy)).await;

    // A tenant made while the fleet watches arrives, and its row leaves with its namespace.
    let client = client_for(&fleet.kubeconfig, Some("local-1")).await.expect("client");
    let late = seed::seed(&client, 13, 2).await.expect("seeded").pop().expect("a thirteenth tenant").id;
    let made = |e: &FleetEvent| matches!(e, FleetEvent::Changes(c) if c.upserted.iter().any(|t| t.id == late));
    arrives(&mut events, 30, "the new tenant's row", made).await;
    assert_eq!(watched.tenants().len(), 25);
    Api::<Namespace>::all(client).delete(&late, &DeleteParams::default()).await.expect("namespace deleted");
    let gone = |e: &FleetEvent| matches!(e, FleetEvent::Changes(c) if c.removed.iter().any(|(_, id)| *id == late));
    arrives(&mut events, 90, "the deleted tenant's row removed", gone).await;
    assert_eq!(watched.tenants().len(), 24, "every other row stays");

    // local-2's API server stops: its rows turn stale, local-1 keeps updating.
    fleet.clusters[1].stop_apiserver();
    let stale_rows = |e: &FleetEvent| {
        matches!(e, FleetEvent::Changes(c) if c.cluster == "local-2" && c.upserted.len() == 7
            && c.upserted.iter().all(|t| matches!(t.freshness, Freshness::Stale { .. })))
    };
    arrives(&mut events, 20, "local-2's rows stale", stale_rows).await;
    arrives(&mut events, 5, "local-2 reconnecting", |e| cluster_turns(e, "local-2", ConnectionState::Reconnecting))
        .await;
    let status = watched.clusters().into_iter().find(|c| c.context == "local-2").expect("local-2");
    assert_eq!(status.last_error.map(|e| e.kind), Some(ErrorKind::Unreachable));
    assert!(status.last_live.is_some());
    set_ready(&fleet.kubeconfig, "local-1", &first, "False").await;
    arrives(&mut events, 10, "local-1 still updates", |e| tenant_turns(e, "local-1", &first, Health::Degraded)).await;
    set_ready(&fleet.kubeconfig, "local-1", &first, "True").await;

    // It comes back: live again without restarting anything.
    fleet.clusters[1].start_apiserver().await.expect("apiserver restarts");
    let live_rows = |e: &FleetEvent| {
        matches!(e, FleetEvent::Changes(c) if c.cluster == "local-2" && c.upserted.len() == 7
            && c.upserted.iter().all(|t| t.freshness.is_live()))
    };
    arrives(&mut events, 60, "local-2's rows live", live_rows).await;
    arrives(&mut events, 5, "local-2 live", |e| cluster_turns(e, "local-2", ConnectionState::Live)).await;
    let detail = watched.detail("local-1", &first).await.expect("detail");
    assert_eq!(detail.pods.len(), 2);
    assert_eq!(detail.ingress_hosts, vec![format!("{first}.example.com")]);
    assert_eq!(detail.backups.first().map(|b| b.id.as_str()), Some("seed-1"));
    assert_eq!(detail.backup_schedule.as_deref(), Some("0 3 * * *"));
    let healths: Vec<Health> = detail.history.iter().map(|h| h.health).collect();
    assert!(healths.ends_with(&[Health::Degraded, Health::Healthy]), "history {healths:?}");
    drop(events);
    watched.shutdown().await;

    // Every cluster down: a restarted fleet serves the whole cache, marked cached with its age.
    for cluster in &mut fleet.clusters {
        cluster.stop_apiserver();
    }
    let offline = Watched::start(entries.clone(), Some(&cache), Settings::default()).await;
    let Some(FleetEvent::Snapshot { tenants, notice, .. }) = Box::pin(offline.subscribe()).next().await else {
        panic!("a snapshot comes first");
    };
    assert!(notice.is_none());
    assert_eq!(tenants.len(), 24, "the full cached inventory");
    assert!(tenants.iter().all(|t| matches!(&t.freshness, Freshness::Cached { as_of } if !as_of.is_empty())));
    offline.settled(Duration::from_secs(10)).await;
    assert!(offline.clusters().iter().all(|c| c.state == ConnectionState::Unreachable), "{:?}", offline.clusters());
    assert_eq!(offline.tenants().len(), 24, "unreachable clusters keep their cached rows");
    assert!(offline.detail("local-3", &seed::tenant(0, 2).id).await.is_some_and(|d| !d.tenant.freshness.is_live()));
    offline.shutdown().await;

    // A cluster not watched now keeps its cached rows, marked not watched (not unreachable: it is
    // not tried); turning one off while the fleet runs marks it the same way.
    let fewer = Watched::start(entries[..2].to_vec(), Some(&cache), Settings::default()).await;
    fewer.settled(Duration::from_secs(10)).await;
    let not_watched = |fleet: &Watched| -> Vec<String> {
        let clusters = fleet.clusters().into_iter();
        clusters.filter(|c| c.state == ConnectionState::NotWatched).map(|c| c.context).collect()
    };
    assert_eq!(not_watched(&fewer), vec!["local-3".to_owned()]);
    assert_eq!(fewer.tenants().len(), 24, "its rows stay as last cached");
    fewer.unwatch("local-1");
    let mut turned_off = not_watched(&fewer);
    turned_off.sort();
    assert_eq!(turned_off, vec!["local-1".to_owned(), "local-3".to_owned()]);
    fewer.shutdown().await;

    // Held for a window: with cached rows, no cluster is tried until they are on screen.
    let (shown, on_screen) = tokio::sync::oneshot::channel::<()>();
    let held = Watched::start_once_shown(entries.clone(), Some(&cache), Settings::default(), async {
        let _ = on_screen.await;
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(held.clusters().iter().all(|c| c.state == ConnectionState::Connecting), "{:?}", held.clusters());
    assert_eq!(held.tenants().len(), 24, "the cached rows are served meanwhile");
    shown.send(()).expect("the fleet waits for the rows on screen");
    held.settled(Duration::from_secs(10)).await;
    assert!(held.clusters().iter().all(|c| c.state == ConnectionState::Unreachable), "{:?}", held.clusters());
    held.shutdown().await;

    // A corrupted cache: the fleet still starts, says so, and rebuilds it.
    std::fs::write(&cache, vec![0x5a; 8192]).expect("corrupted");
    let rebuilt = Watched::start(entries, Some(&cache), Settings::default()).await;
    let notice = rebuilt.notice().expect("a notice about the cache");
    assert_eq!(notice.kind, ErrorKind::Cache);
    assert!(rebuilt.tenants().is_empty());
    rebuilt.shutdown().await;
    let reopened = tenantry_core::cache::Cache::open(&cache).await.expect("the rebuilt cache opens");
    assert!(reopened.notice.is_none(), "the rebuilt cache is healthy");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_cluster_is_reported_and_keeps_retrying() {
    let dir = tempfile::tempdir().expect("temp dir");
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let kubeconfig = dir.path().join("unreachable.yaml");
    let yaml = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster:\n    server: https://127.0.0.1:{closed_port}\n    insecure-skip-tls-verify: true\n\
         users:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: gone\n  context:\n    cluster: gone\n    user: u\ncurrent-context: gone\n"
    );
    std::fs::write(&kubeconfig, yaml).expect("write");
    let list = ClusterList::load(&Sources::Explicit(kubeconfig));
    let watched = Watched::start(vec![entry(&list, "gone")], None, Settings::default()).await;
    watched.settled(Duration::from_secs(10)).await;
    let status = watched.clusters().remove(0);
    assert_eq!(status.state, ConnectionState::Unreachable);
    assert_eq!(status.last_error.map(|e| e.kind), Some(ErrorKind::Unreachable));
    assert_eq!(status.last_live, None);
}
