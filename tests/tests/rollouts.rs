//! Fleet rollouts against two real local clusters: a version update planned over every tenant
//! runs as a canary spread over both clusters and two waves, pauses when asked between waves and
//! resumes, survives being cut off mid-wave (resumed with no tenant changed twice and none
//! missed), ends with every tenant on the new version and a report; its roll back returns each
//! to its old version. A canary that cannot converge (its cluster's nodes cordoned) stops the
//! rollout at the gate with the reason, the later waves untouched, and continued once the nodes
//! take pods again runs the failed canary again; an abort after a canary chosen by name lets
//! the tenants in flight finish and starts no more, and a restart run again with its frozen
//! stamp replaces no pod; a cluster lost mid-rollout has its tenants wait while the
//! other's go on, and they run once it is back. Tenants the identity may not change are skipped
//! with the missing permission.

use std::path::Path;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::Api;
use tenantry_core::actions::{ActionSettings, Actions};
use tenantry_core::blueprint::Catalog;
use tenantry_core::cache::Cache;
use tenantry_core::cluster::ClusterList;
use tenantry_core::fleet::{Fleet as Watched, Settings};
use tenantry_core::kubeconfig::{ContextEntry, Sources};
use tenantry_core::rollout::Rollouts;
use tenantry_model::{
    ActionRequest, ActionResult, FleetChange, Health, RolloutEvent, RolloutSettings, RolloutState, TenantState,
    TenantSummary,
};
use tenantry_tests::fleet::Fleet;
use tenantry_tests::seed;

const CLUSTERS: [&str; 2] = ["ro-1", "ro-2"];
/// Tenants seeded per cluster (all healthy: the seed breaks every fifth).
const PER_CLUSTER: usize = 4;

fn entries(kubeconfig: &Path) -> Vec<ContextEntry> {
    let list = ClusterList::load(&Sources::Explicit(kubeconfig.to_owned()));
    list.entries.into_iter().filter(|e| CLUSTERS.contains(&e.name.as_str())).collect()
}

/// The fleet's live rows once every seeded tenant is healthy.
async fn healthy_rows(fleet: &Watched) -> Vec<TenantSummary> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let rows = fleet.tenants();
        if rows.len() == CLUSTERS.len() * PER_CLUSTER
            && rows.iter().all(|r| r.freshness.is_live() && r.health == Health::Healthy)
        {
            return rows;
        }
        assert!(Instant::now() < deadline, "the seeded tenants never all run: {rows:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The spec revisions rollout `id`'s successful actions made, per tenant (a run cut off after its
/// audit entry but before the rollout recorded it is done again, and changes nothing: the same
/// revision appears twice).
async fn revisions_per_tenant(
    actions: &Actions,
    id: i64,
) -> std::collections::BTreeMap<String, std::collections::BTreeSet<u64>> {
    let marker = format!("rollout #{id}");
    let mut made = std::collections::BTreeMap::new();
    for entry in actions.audit_log().await.expect("audit") {
        if entry.reason.contains(&marker) && entry.result == tenantry_model::ActionResult::Succeeded {
            made.entry(format!("{}/{}", entry.context, entry.tenant))
                .or_insert_with(std::collections::BTreeSet::new)
                .insert(entry.revision_after);
        }
    }
    made
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_rolls_out_in_waves_pauses_survives_a_cut_and_rolls_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let names: Vec<String> = CLUSTERS.iter().map(|n| (*n).to_owned()).collect();
    let clusters = Fleet::start(dir.path(), &names).await.expect("clusters start");
    for cluster in &clusters.clusters {
        seed::seed(&cluster.admin_client().await.expect("client"), PER_CLUSTER, 1).await.expect("seeded");
    }
    let entries = entries(&clusters.kubeconfig);
    let cache = Cache::open(&dir.path().join("data/cache.sqlite")).await.expect("cache").cache;
    let settings = ActionSettings { converge_timeout: Duration::from_secs(90), ..ActionSettings::default() };
    let actions = Actions::new(cache, Catalog::load(&dir.path().join("blueprints")), settings);
    let fleet = Watched::start(entries.clone(), None, Settings::default()).await;
    let rows = healthy_rows(&fleet).await;
    let health = |cluster: &str, id: &str| fleet.live_health(cluster, id);
    let rollouts = Rollouts::new(&actions, entries.clone(), &health);

    // Planned: a canary of one tenant per cluster, then waves of three.
    let settings =
        RolloutSettings { canary: 2, wave_size: 3, per_cluster: 2, hold_seconds: 2, ..RolloutSettings::default() };
    let update = FleetChange::version("7.0.0");
    let planned = rollouts.plan(&update, &rows, settings, &[], "TICKET-77").await.expect("planned");
    assert_eq!(planned.count(TenantState::Queued), 8);
    assert_eq!(planned.waves(), 3);
    let canary: Vec<&str> = planned.tenants.iter().filter(|t| t.wave == 0).map(|t| t.context.as_str()).collect();
    assert_eq!(canary, ["ro-1", "ro-2"], "the canary spreads over both clusters");
    // Its preview: the renders compared here group every tenant under the image change, and
    // the server dry-runs one of them.
    let groups = rollouts.preview(&planned).await;
    let changes: usize = groups.iter().map(|g| g.tenants).sum();
    assert_eq!(changes, 8, "{groups:?}");
    assert!(
        groups.iter().all(|g| g.changes.iter().any(|c| c.contains("image") && c.ends_with("web:7.0.0"))),
        "{groups:?}"
    );
    assert!(groups[0].dry_run.contains("accepted"), "{groups:?}");
    // A config key set by key is compared too (and planned, not run: discarded).
    let by_key = FleetChange::Update {
        version: None,
        plan: None,
        config: [("FEATURE_X".to_owned(), Some("on".to_owned()))].into(),
        parameters: std::collections::BTreeMap::new(),
    };
    let keyed = rollouts.plan(&by_key, &rows, settings, &[], "TICKET-78").await.expect("planned by key");
    let keyed_groups = rollouts.preview(&keyed).await;
    assert!(keyed_groups[0].changes.iter().any(|c| c.contains("data.FEATURE_X: (none) → on")), "{keyed_groups:?}");
    actions.cache().rollout_set_state(keyed.id, RolloutState::Aborted, "discarded").await.expect("discard");
    let secret = FleetChange::Update {
        version: None,
        plan: None,
        config: [("DB_PASSWORD".to_owned(), Some("x".to_owned()))].into(),
        parameters: std::collections::BTreeMap::new(),
    };
    let refused = rollouts.plan(&secret, &rows, settings, &[], "").await.expect_err("a secret key is refused");
    assert!(refused.to_string().contains("holds a secret"), "{refused}");

    // Paused by someone once the canary is through: the run stops before the next wave.
    let id = planned.id;
    let records = actions.cache().clone();
    let mut events = Vec::new();
    let mut pause_after_canary = |event: RolloutEvent| {
        if matches!(event, RolloutEvent::Holding { wave: 0, .. }) {
            let records = records.clone();
            tokio::spawn(
                async move { records.rollout_set_state(id, RolloutState::Paused, "paused by a colleague").await },
            );
        }
        events.push(event);
    };
    let paused = rollouts.run(id, &mut pause_after_canary).await.expect("runs");
    assert_eq!(paused.state, RolloutState::Paused, "{}", paused.message);
    assert_eq!(paused.count(TenantState::Converged), 2);
    assert_eq!(paused.count(TenantState::Queued), 6);
    assert!(events.iter().any(|e| matches!(e, RolloutEvent::WaveStarted { wave: 0, tenants: 2 })));

    // Resumed, then cut off in the middle of the next wave (as when the app is closed).
    let cut = tokio::time::timeout(Duration::from_secs(3), rollouts.run(id, &mut |_| {})).await;
    assert!(cut.is_err(), "the run was still going when it was cut");
    let left = actions.cache().rollout(id).await.expect("read").expect("recorded");
    assert!(left.count(TenantState::Converged) >= 2, "{:?}", left.tenants);
    // Once its heartbeat is stale, the next look (a restarted app) finds it paused where it stopped.
    tokio::time::sleep(tenantry_core::actions::HEARTBEAT_STALE + Duration::from_secs(1)).await;
    let shown = tenantry_core::rollout::load(actions.cache(), id).await.expect("load");
    assert_eq!(shown.state, RolloutState::Paused, "{}", shown.message);
    assert!(shown.message.starts_with("interrupted"), "{}", shown.message);

    // Resumed again: every tenant ends on the new version, none changed twice, none missed.
    let done = rollouts.run(id, &mut |_| {}).await.expect("resumes");
    assert_eq!(done.state, RolloutState::Finished, "{}: {:?}", done.message, done.tenants);
    assert_eq!(done.count(TenantState::Converged), 8, "{:?}", done.tenants);
    let changes = revisions_per_tenant(&actions, id).await;
    assert_eq!(changes.len(), 8, "none missed: {changes:?}");
    for tenant in &done.tenants {
        let made = &changes[&format!("{}/{}", tenant.context, tenant.tenant)];
        assert_eq!(made, &[tenant.revision_before + 1].into(), "{} changed once", tenant.tenant);
    }
    let report = tenantry_core::rollout::report_csv(&done).expect("report");
    assert_eq!(report.lines().count(), 9, "{report}");
    assert!(report.lines().skip(1).all(|l| l.contains("7.0.0") && l.contains("converged")), "{report}");

    // Rolled back, in waves too: each tenant returns to its old version.
    let back = rollouts.plan_roll_back(id, "TICKET-77 revert").await.expect("planned");
    let back = rollouts.run(back.id, &mut |_| {}).await.expect("rolled back");
    assert_eq!(back.state, RolloutState::Finished, "{}: {:?}", back.message, back.tenants);
    let deadline = Instant::now() + Duration::from_secs(30);
    while fleet.tenants().iter().any(|t| t.version == "7.0.0") {
        assert!(Instant::now() < deadline, "the versions never return");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let versions: std::collections::BTreeSet<String> = fleet.tenants().into_iter().map(|t| t.version).collect();
    assert!(versions.iter().all(|v| v.starts_with("6.")), "{versions:?}");

    // A canary that cannot converge (its cluster's nodes cordoned) stops at the gate.
    let quick = ActionSettings { converge_timeout: Duration::from_secs(8), ..ActionSettings::default() };
    let cache = Cache::open(&dir.path().join("data/cache.sqlite")).await.expect("cache").cache;
    let impatient = Actions::new(cache, Catalog::load(&dir.path().join("blueprints")), quick);
    let gated = Rollouts::new(&impatient, entries.clone(), &health);
    let ro_2 = clusters.clusters[1].admin_client().await.expect("client");
    tenantry_tests::cluster::cordon(&ro_2, true).await.expect("cordon");
    let rows = healthy_rows(&fleet).await;
    let update = FleetChange::version("7.1.0");
    let planned = gated.plan(&update, &rows, settings, &[], "TICKET-78").await.expect("planned");
    let stopped = gated.run(planned.id, &mut |_| {}).await.expect("runs");
    tenantry_tests::cluster::cordon(&ro_2, false).await.expect("uncordon");
    assert_eq!(stopped.state, RolloutState::Stopped, "{}", stopped.message);
    assert!(stopped.message.contains("ro-2/"), "the reason names the tenant: {}", stopped.message);
    let failed: Vec<&str> =
        stopped.tenants.iter().filter(|t| t.state == TenantState::Failed).map(|t| t.context.as_str()).collect();
    assert_eq!(failed, ["ro-2"]);
    assert_eq!(stopped.count(TenantState::Queued), 6, "the later waves are untouched: {:?}", stopped.tenants);

    // Continued once the nodes take pods again: the failed canary runs again, the rest follow,
    // and the failed action it left is settled.
    let continued = rollouts.run(planned.id, &mut |_| {}).await.expect("continues");
    assert_eq!(continued.state, RolloutState::Finished, "{}: {:?}", continued.message, continued.tenants);
    assert_eq!(continued.count(TenantState::Converged), 8);
    assert!(actions.unfinished().await.expect("journal").is_empty(), "no action is left unfinished");

    // Aborted from elsewhere after a canary chosen by name: the tenants in flight finish, no
    // more start.
    let rows = healthy_rows(&fleet).await;
    let restart = FleetChange::Restart;
    let named: Vec<(String, String)> = CLUSTERS
        .iter()
        .filter_map(|c| rows.iter().rfind(|r| r.cluster == *c).map(|r| (r.cluster.clone(), r.id.clone())))
        .collect();
    let planned = rollouts.plan(&restart, &rows, settings, &named, "").await.expect("planned");
    let records = actions.cache().clone();
    let abort_id = planned.id;
    let mut abort_after_canary = |event: RolloutEvent| {
        if matches!(event, RolloutEvent::Holding { wave: 0, .. }) {
            let records = records.clone();
            tokio::spawn(async move { records.rollout_set_state(abort_id, RolloutState::Aborted, "aborted").await });
        }
    };
    let aborted = rollouts.run(abort_id, &mut abort_after_canary).await.expect("runs");
    assert_eq!(aborted.state, RolloutState::Aborted, "{}", aborted.message);
    assert_eq!((aborted.count(TenantState::Converged), aborted.count(TenantState::Queued)), (2, 6));
    assert!(rollouts.run(abort_id, &mut |_| {}).await.is_err(), "an aborted rollout does not run again");
    let converged: Vec<(String, String)> = aborted
        .tenants
        .iter()
        .filter(|t| t.state == TenantState::Converged)
        .map(|t| (t.context.clone(), t.tenant.clone()))
        .collect();
    assert_eq!(converged, named, "the named canary ran first");

    // A restart cut after stamping and run again writes the stamp its plan froze: no pod is
    // replaced twice.
    let restarted = aborted.tenants.iter().find(|t| t.state == TenantState::Converged).expect("a restarted tenant");
    let cluster = clusters.clusters.iter().find(|c| c.name == restarted.context).expect("its cluster");
    let app = Api::<Deployment>::namespaced(cluster.admin_client().await.expect("client"), &restarted.tenant);
    let before = app.get("app").await.expect("app").metadata.generation;
    let again = ActionRequest {
        context: restarted.context.clone(),
        tenant: restarted.tenant.clone(),
        change: restarted.change.clone(),
        take_over: false,
        reason: format!("rollout #{abort_id}"),
    };
    let entry = entries.iter().find(|e| e.name == restarted.context).expect("its entry");
    let outcome = actions.run(entry, &again, |_| {}).await.expect("runs");
    assert_eq!(outcome.result, ActionResult::Succeeded, "{}", outcome.message);
    assert_eq!(app.get("app").await.expect("app").metadata.generation, before, "the same stamp replaces no pod");

    // A cluster lost before its turn: its tenants wait, the other cluster's waves go on, and the
    // rollout continues once the cluster is back.
    let rows = healthy_rows(&fleet).await;
    let scale = FleetChange::ScaleTo { replicas: 2 };
    let planned = rollouts.plan(&scale, &rows, settings, &[], "").await.expect("planned");
    let mut clusters = clusters;
    clusters.clusters[1].stop_apiserver();
    let waiting = rollouts.run(planned.id, &mut |_| {}).await.expect("runs");
    assert_eq!(waiting.state, RolloutState::Paused, "{}", waiting.message);
    let states: std::collections::BTreeSet<(&str, TenantState)> =
        waiting.tenants.iter().map(|t| (t.context.as_str(), t.state)).collect();
    assert_eq!(
        states,
        [("ro-1", TenantState::Converged), ("ro-2", TenantState::Waiting)].into(),
        "{:?}",
        waiting.tenants
    );
    clusters.clusters[1].start_apiserver().await.expect("back");
    healthy_rows(&fleet).await;
    let resumed = rollouts.run(planned.id, &mut |_| {}).await.expect("continues");
    assert_eq!(resumed.state, RolloutState::Finished, "{}: {:?}", resumed.message, resumed.tenants);
    assert_eq!(resumed.count(TenantState::Converged), 8);
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_the_identity_may_not_change_are_skipped_with_the_missing_permission() {
    let dir = tempfile::tempdir().expect("temp dir");
    let clusters = Fleet::start(dir.path(), &["rbac-1".to_owned()]).await.expect("cluster starts");
    let cluster = &clusters.clusters[0];
    let admin = cluster.admin_client().await.expect("client");
    seed::seed(&admin, 3, 1).await.expect("seeded");
    let token = tenantry_tests::identity::create_list_only(&admin).await.expect("identity");
    let kubeconfig = dir.path().join("list-only.yaml");
    let yaml = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: viewer\nclusters:\n- name: c\n  cluster:\n    server: {}\n    certificate-authority: {}\n\
         users:\n- name: u\n  user:\n    token: {token}\ncontexts:\n- name: viewer\n  context:\n    cluster: c\n    user: u\n",
        cluster.server,
        cluster.dir.join("pki/apiserver.crt").display(),
    );
    std::fs::write(&kubeconfig, yaml).expect("write");
    let entries = ClusterList::load(&Sources::Explicit(kubeconfig)).entries;
    let cache = Cache::open(&dir.path().join("data/cache.sqlite")).await.expect("cache").cache;
    let actions = Actions::new(cache, Catalog::load(&dir.path().join("blueprints")), ActionSettings::default());
    let fleet = Watched::start(entries.clone(), None, Settings::default()).await;
    fleet.settled(Duration::from_secs(30)).await;
    let rows = fleet.tenants();
    assert_eq!(rows.len(), 3);
    let health = |_: &str, _: &str| None;
    let rollouts = Rollouts::new(&actions, entries, &health);
    let update = FleetChange::version("9.0.0");
    let refused =
        rollouts.plan(&update, &rows, RolloutSettings::default(), &[], "").await.expect_err("nothing may change");
    let text = refused.to_string();
    assert!(
        text.contains("viewer/alder-books: refused: this identity lacks ") && text.contains("patch namespaces"),
        "{text}"
    );
    fleet.shutdown().await;
}
