//! A fleet Tenantry did not make (`tests/fixtures/existing-fleet`, applied with kubectl and as
//! Helm): the tenancy rules find its tenants, each with the health and reason its workloads
//! really have, its version and domains read from its objects and where each field came from;
//! excluded and other namespaces are absent; Capsule's `Tenant` (its CRD installed from the
//! published Go module) names the customer of its namespace. Every action that needs no blueprint works on
//! them end to end, with the objects checked in the cluster; a field Helm owns is a conflict.
//! Adopting records a spec (then scale and roll back work by revision), many at once as a
//! rollout with a named canary; adopting with a blueprint maps its objects onto those that
//! exist, or is refused when they do not fit.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::ResourceExt as _;
use kube::api::Api;
use tenantry_core::actions::{ActionSettings, Actions};
use tenantry_core::blueprint::Catalog;
use tenantry_core::cache::Cache;
use tenantry_core::fleet::{Fleet as Watched, Settings};
use tenantry_core::inventory::ClusterInventory;
use tenantry_core::rollout::Rollouts;
use tenantry_core::tenancy::TenancyRules;
use tenantry_model::{
    ActionRequest, ActionResult, Change, FleetChange, Health, RolloutSettings, RolloutState, TenantSpec, TenantState,
    TenantSummary,
};
use tenantry_tests::actions::{Setup, planned, succeeded};
use tenantry_tests::existing;

/// What one namespace of the fixture should show.
struct Expected {
    id: &'static str,
    health: Health,
    reason: &'static str,
    version: &'static str,
    version_from: &'static str,
    customer: &'static str,
    display_name: &'static str,
    domains: &'static [&'static str],
    gitops: Option<&'static str>,
}

const EXPECTED: [Expected; 7] = [
    Expected {
        id: "acme-prod",
        health: Health::Healthy,
        reason: "1 of 1 pods ready",
        version: "3.0.0",
        version_from: "image tag of Deployment api",
        customer: "acme",
        display_name: "",
        domains: &[],
        gitops: None,
    },
    Expected {
        id: "shop-alder",
        health: Health::Degraded,
        reason: "worker: 0 of 1 pods ready: pods cannot be scheduled",
        version: "2.4.1",
        version_from: "label app.kubernetes.io/version of Deployment web",
        customer: "Alder Books",
        display_name: "Alder \u{1F4DA} Bücher",
        domains: &["admin.alder.example", "alder.example", "www.alder.example", "xn--bcher-kva.example"],
        gitops: None,
    },
    Expected {
        id: "shop-birch",
        health: Health::Healthy,
        reason: "3 of 3 pods ready in 2 workloads",
        version: "15.2.3",
        version_from: "label helm.sh/chart of Deployment wordpress",
        customer: "",
        display_name: "birch",
        domains: &[],
        gitops: None,
    },
    Expected {
        id: "shop-cedar",
        health: Health::Suspended,
        reason: "all workloads scaled to zero",
        version: "1.0.3",
        version_from: "image tag of Deployment web",
        customer: "",
        display_name: "cedar",
        domains: &[],
        gitops: None,
    },
    Expected {
        id: "shop-dune",
        health: Health::Unknown,
        reason: "no workload: no Deployment or StatefulSet in the namespace",
        version: "",
        version_from: "not found",
        customer: "",
        display_name: "dune",
        domains: &[],
        gitops: None,
    },
    Expected {
        id: "shop-elm",
        health: Health::Healthy,
        reason: "1 of 1 pods ready",
        version: "7.2",
        version_from: "image tag of StatefulSet cache",
        customer: "",
        display_name: "Elm {{ .Values.title }} ${TITLE} `rm -rf` <script>alert(1)</script> \u{202E}gnp.exe",
        domains: &[],
        gitops: Some("Argo CD application shop-elm"),
    },
    Expected {
        id: "shop-fir",
        health: Health::Unknown,
        reason: "the tenantry.io/spec annotation is unreadable",
        version: "1.0.3",
        version_from: "image tag of Deployment web",
        customer: "",
        display_name: "fir",
        domains: &[],
        gitops: None,
    },
];

#[tokio::test(flavor = "multi_thread")]
async fn namespaces_made_by_other_tools_show_what_their_workloads_really_do() {
    let setup = Setup::start("old-1").await;
    existing::apply(&setup.fleet.kubeconfig, "old-1");
    existing::install_capsule(&setup.fleet.kubeconfig, "old-1");
    let rules = TenancyRules::parse(Path::new("tenancy.yaml"), &existing::rules_text()).expect("the fixture's rules");
    let inventory = ClusterInventory::start_with(&setup.entry("old-1"), Arc::new(rules)).await.expect("starts");
    inventory.synced(Duration::from_secs(30)).await.expect("synced");

    let rows = settled(&inventory).await;
    let ids: Vec<&str> = rows.iter().map(|t| t.id.as_str()).collect();
    let expected_ids: Vec<&str> = EXPECTED.iter().map(|e| e.id).collect();
    assert_eq!(ids, expected_ids, "the sandbox, monitoring and system namespaces are not tenants");
    for (row, want) in rows.iter().zip(&EXPECTED) {
        let id = want.id;
        assert_eq!((row.health, row.reason.as_str()), (want.health, want.reason), "{id}");
        assert_eq!(row.version, want.version, "{id}");
        assert_eq!(row.customer, want.customer, "{id}");
        assert_eq!(row.display_name, want.display_name, "{id}");
        assert_eq!(row.domains, want.domains, "{id}");
        assert_eq!(row.gitops.as_deref(), want.gitops, "{id}");
        let detail = inventory.detail(row.clone());
        let source = |field: &str| {
            detail.field_sources.iter().find(|f| f.field == field).map(|f| f.source.clone()).unwrap_or_default()
        };
        assert_eq!(source("Version"), want.version_from, "{id}");
    }

    // The detail of the Helm release: each workload, the main one first, with its owner.
    let birch = rows.iter().find(|t| t.id == "shop-birch").expect("birch");
    assert_eq!((birch.ready, birch.desired), (2, 2), "the main workload's pods");
    let detail = inventory.detail(birch.clone());
    let workloads: Vec<(&str, &str, i32, &str, bool)> = detail
        .workloads
        .iter()
        .map(|w| (w.kind.as_str(), w.name.as_str(), w.ready, w.owner.as_str(), w.main))
        .collect();
    assert_eq!(
        workloads,
        [
            ("Deployment", "wordpress", 2, "Helm chart wordpress-15.2.3", true),
            ("StatefulSet", "mariadb", 1, "Helm chart mariadb-14.1.0", false),
        ]
    );
    assert_eq!(detail.workloads[0].images, ["wordpress:6.4.2"]);
    assert_eq!(detail.pods.len(), 3, "the pods of both workloads: {:?}", detail.pods);
    let sources: Vec<(&str, &str)> =
        detail.field_sources.iter().map(|f| (f.field.as_str(), f.source.as_str())).collect();
    for expected in [
        ("Tenant", "rule 2 of the tenancy rules"),
        ("Display name", "alias of rule 2"),
        ("Customer", "annotation example.com/customer (missing or blank)"),
        ("Plan", "label example.com/plan"),
        ("Domains", "not found"),
    ] {
        assert!(sources.contains(&expected), "{expected:?} in {sources:?}");
    }
    let alder = inventory.detail(rows[1].clone());
    let domains = alder.field_sources.iter().find(|f| f.field == "Domains").map(|f| f.source.as_str());
    assert_eq!(domains, Some("hosts of Ingress admin, shop"));
    let acme = inventory.detail(rows[0].clone());
    let customer = acme.field_sources.iter().find(|f| f.field == "Customer").map(|f| f.source.as_str());
    assert_eq!(customer, Some("Capsule Tenant acme (owners: User alice, Group acme-admins)"));
}

#[tokio::test(flavor = "multi_thread")]
async fn adopted_tenants_keep_revisions_and_with_a_blueprint_take_every_action() {
    let setup = ruled_setup("old-3").await;
    existing::apply_web_shaped(&setup.fleet.kubeconfig, "old-3");
    let client = setup.client().await;
    let adopt = |spec: TenantSpec| Change::Adopt { spec };
    let scale = |replicas, workload: Option<&str>| Change::Scale {
        replicas: Some(replicas),
        autoscaling: None,
        workload: workload.map(str::to_owned),
    };
    let size = |set: StatefulSet| set.spec.and_then(|s| s.replicas);
    let cache =
        || async { Api::<StatefulSet>::namespaced(client.clone(), "shop-elm").get("cache").await.expect("cache") };

    // Without a blueprint, the spec records what runs, with revisions from then on.
    succeeded(&setup.run("old-3", "shop-elm", adopt(TenantSpec::default())).await.0);
    let (revision, spec) = stored(&client, "shop-elm").await;
    assert_eq!(revision, "1");
    assert_eq!(spec.workloads.into_iter().collect::<Vec<_>>(), [("StatefulSet/cache".to_owned(), 1)]);
    assert_eq!((spec.version.as_str(), spec.display_name.as_str(), spec.blueprint.as_str()), ("7.2", "shop-elm", ""));
    succeeded(&setup.run("old-3", "shop-elm", scale(2, Some("cache"))).await.0);
    assert_eq!((size(cache().await), stored(&client, "shop-elm").await.0), (Some(2), "2".to_owned()));
    succeeded(&setup.run("old-3", "shop-elm", Change::Rollback { revision: 1 }).await.0);
    assert_eq!((size(cache().await), stored(&client, "shop-elm").await.0), (Some(1), "3".to_owned()));
    succeeded(&setup.run("old-3", "shop-elm", Change::Suspend).await.0);
    assert_eq!(size(cache().await), Some(0));
    succeeded(&setup.run("old-3", "shop-elm", Change::Resume).await.0);
    assert_eq!(size(cache().await), Some(1));
    let update = Change::version_update(Some("7.4".into()));
    let (outcome, _) = setup.run("old-3", "shop-elm", update).await;
    assert!(outcome.message.contains("update needs a blueprint"), "{}", outcome.message);
    let (outcome, _) = setup.run("old-3", "shop-elm", adopt(TenantSpec::default())).await;
    assert!(outcome.message.contains("is a Tenantry tenant already"), "{}", outcome.message);

    // Adopting many is a rollout: the named canary first, each tenant with its own recorded
    // spec, the GitOps-managed one skipped with the reason.
    let rules = TenancyRules::parse(Path::new("tenancy.yaml"), &existing::rules_text()).expect("rules");
    let fleet_settings = Settings { tenancy: Arc::new(rules), ..Settings::default() };
    let fleet = Watched::start(vec![setup.entry("old-3")], None, fleet_settings).await;
    fleet.settled(Duration::from_secs(30)).await;
    let ids = ["acme-prod", "shop-cedar", "shop-elm"];
    let rows: Vec<TenantSummary> = fleet.tenants().into_iter().filter(|r| ids.contains(&r.id.as_str())).collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    let health = |cluster: &str, id: &str| fleet.live_health(cluster, id);
    let rollouts = Rollouts::new(&setup.actions, vec![setup.entry("old-3")], &health);
    let adopt_all = FleetChange::Adopt { blueprint: String::new(), plan: String::new(), version: None };
    let waves = RolloutSettings { hold_seconds: 0, ..RolloutSettings::default() };
    let not_chosen = [("old-3".to_owned(), "shop-birch".to_owned())];
    let refused = rollouts.plan(&adopt_all, &rows, waves, &not_chosen, "TICKET-7").await.expect_err("not chosen");
    assert!(refused.to_string().contains("canary tenant old-3/shop-birch is not among"), "{refused}");
    let canary = [("old-3".to_owned(), "shop-cedar".to_owned())];
    let plan = rollouts.plan(&adopt_all, &rows, waves, &canary, "TICKET-7").await.expect("planned");
    let waves_of: Vec<(&str, usize, TenantState)> =
        plan.tenants.iter().map(|t| (t.tenant.as_str(), t.wave, t.state)).collect();
    assert_eq!(
        waves_of,
        [
            ("acme-prod", 1, TenantState::Queued),
            ("shop-cedar", 0, TenantState::Queued),
            ("shop-elm", 0, TenantState::Skipped)
        ]
    );
    let adopted = rollouts.run(plan.id, &mut |_| {}).await.expect("runs");
    assert_eq!(adopted.state, RolloutState::Finished, "{}: {:?}", adopted.message, adopted.tenants);
    fleet.shutdown().await;
    let (_, cedar) = stored(&client, "shop-cedar").await;
    let sizes: Vec<(String, i32)> = cedar.workloads.into_iter().collect();
    assert_eq!(sizes, [("Deployment/web".to_owned(), 0), ("StatefulSet/db".to_owned(), 0)]);
    assert_eq!(stored(&client, "acme-prod").await.1.version, "3.0.0");

    // With a blueprint that renders none of what runs, adopting is refused with the reason.
    let web = |customer: &str, domains: Vec<String>| TenantSpec {
        blueprint: "web".into(),
        customer: customer.into(),
        plan: "small".into(),
        domains,
        ..TenantSpec::default()
    };
    let (outcome, _) = setup.run("old-3", "shop-birch", adopt(web("Birch", vec!["birch.example".into()]))).await;
    assert_eq!(outcome.result, ActionResult::Refused);
    assert!(outcome.message.contains("its Deployment wordpress has no counterpart"), "{}", outcome.message);
    assert_eq!(stored(&client, "shop-birch").await.0, "", "nothing written");

    // With the blueprint it was made in the shape of: its objects map, and every action works.
    let (outcome, events) = setup.run("old-3", "shop-grove", adopt(web("Grove Garden", Vec::new()))).await;
    succeeded(&outcome);
    let notes = planned(&events).notes;
    assert!(
        notes.iter().any(|n| n.contains("onto these that exist: Deployment app, Service app, Ingress app")),
        "{notes:?}"
    );
    let (_, spec) = stored(&client, "shop-grove").await;
    assert_eq!(
        (spec.version.as_str(), spec.replicas, spec.domains.as_slice()),
        ("6.4.0", 2, ["grove.example".to_owned()].as_slice())
    );
    let credentials =
        Api::<Secret>::namespaced(client.clone(), "shop-grove").get("app-credentials").await.expect("kept");
    let password = credentials.data.and_then(|d| d.get("DATABASE_PASSWORD").cloned()).expect("a password");
    assert_eq!(password.0, b"grove-db-password-kept", "existing credentials are never generated again");
    let app = || async { Api::<Deployment>::namespaced(client.clone(), "shop-grove").get("app").await.expect("app") };
    assert_eq!(app().await.labels().get("app.kubernetes.io/managed-by").map(String::as_str), Some("tenantry"));
    succeeded(&setup.run("old-3", "shop-grove", scale(3, None)).await.0);
    assert_eq!(app().await.spec.and_then(|s| s.replicas), Some(3));
    succeeded(&setup.run("old-3", "shop-grove", Change::Restart { workload: None, stamp: None }).await.0);
    succeeded(&setup.run("old-3", "shop-grove", Change::Rollback { revision: 1 }).await.0);
    assert_eq!(app().await.spec.and_then(|s| s.replicas), Some(2));
}

/// A cluster with the fixture applied and actions under its tenancy rules.
async fn ruled_setup(name: &str) -> Setup {
    let mut setup = Setup::start(name).await;
    existing::apply(&setup.fleet.kubeconfig, name);
    let rules = TenancyRules::parse(Path::new("tenancy.yaml"), &existing::rules_text()).expect("the fixture's rules");
    let cache = Cache::open(&setup.dir.path().join("data/ruled.sqlite")).await.expect("cache").cache;
    let settings = ActionSettings {
        converge_timeout: Duration::from_secs(60),
        tenancy: Arc::new(rules),
        ..ActionSettings::default()
    };
    setup.actions = Actions::new(cache, Catalog::load(&setup.dir.path().join("blueprints")), settings);
    setup
}

/// The revision annotation (empty without one) and the spec annotation of namespace `id`.
async fn stored(client: &kube::Client, id: &str) -> (String, TenantSpec) {
    let ns = Api::<Namespace>::all(client.clone()).get(id).await.expect("namespace");
    let annotation = |key: &str| ns.annotations().get(key).cloned().unwrap_or_default();
    let spec = serde_json::from_str(&annotation("tenantry.io/spec")).unwrap_or_default();
    (annotation("tenantry.io/revision"), spec)
}

/// The rows once every tenant's pods and Ingresses (a detail kind, listed after the tenants) have
/// settled as the fixture expects, or after a minute.
async fn settled(inventory: &ClusterInventory) -> Vec<TenantSummary> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let rows = inventory.summaries();
        let done = rows.len() == EXPECTED.len()
            && rows.iter().zip(&EXPECTED).all(|(row, want)| {
                row.health == want.health && row.reason == want.reason && row.domains == want.domains
            });
        if done || Instant::now() > deadline {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tenants_without_a_blueprint_can_be_scaled_restarted_suspended_resumed_backed_up_and_deleted() {
    let setup = ruled_setup("old-2").await;
    let client = setup.client().await;
    let deployments = |id: &str| Api::<Deployment>::namespaced(client.clone(), id);
    let sets = |id: &str| Api::<StatefulSet>::namespaced(client.clone(), id);
    let replicas = |d: Deployment| d.spec.and_then(|s| s.replicas);
    let scale = |replicas, workload: Option<&str>| Change::Scale {
        replicas: Some(replicas),
        autoscaling: None,
        workload: workload.map(str::to_owned),
    };

    // Scale one workload: kubectl set its size, so taking it is drift shown in the preview.
    let (outcome, events) = setup.run("old-2", "shop-alder", scale(3, Some("web"))).await;
    succeeded(&outcome);
    assert_eq!(replicas(deployments("shop-alder").get("web").await.expect("web")), Some(3));
    let preview = planned(&events);
    let web = preview.objects.iter().find(|o| o.name == "web").expect("web in the preview");
    assert!(web.fields.iter().any(|f| f.path == "spec.replicas"), "{web:?}");
    assert!(
        preview.notes.iter().any(|n| n.contains("spec.replicas was changed outside Tenantry by kubectl")),
        "{:?}",
        preview.notes
    );
    assert_eq!(replicas(deployments("shop-alder").get("worker").await.expect("worker")), Some(1), "others untouched");
    let (outcome, _) = setup.run("old-2", "shop-alder", scale(2, None)).await;
    assert_eq!(outcome.result, ActionResult::Refused);
    assert!(outcome.message.contains("say which to scale: Deployment/web, Deployment/worker"), "{}", outcome.message);

    // A field Helm owns is a conflict: nothing is overwritten.
    let (outcome, _) = setup.run("old-2", "shop-birch", scale(4, Some("wordpress"))).await;
    assert_ne!(outcome.result, ActionResult::Succeeded);
    assert!(outcome.message.contains("is set by \"helm\""), "{}", outcome.message);
    assert_eq!(replicas(deployments("shop-birch").get("wordpress").await.expect("wordpress")), Some(2));

    // Restart one workload: its pods are replaced, the other's are not.
    let (outcome, _) = setup
        .run("old-2", "shop-birch", Change::Restart { workload: Some("StatefulSet/mariadb".into()), stamp: None })
        .await;
    succeeded(&outcome);
    let stamped = |template_annotations: Option<std::collections::BTreeMap<String, String>>| {
        template_annotations.is_some_and(|a| a.contains_key("tenantry.io/restarted-at"))
    };
    let mariadb = sets("shop-birch").get("mariadb").await.expect("mariadb");
    assert!(stamped(mariadb.spec.and_then(|s| s.template.metadata).and_then(|m| m.annotations)));
    let wordpress = deployments("shop-birch").get("wordpress").await.expect("wordpress");
    assert!(!stamped(wordpress.spec.and_then(|s| s.template.metadata).and_then(|m| m.annotations)));

    // Suspend remembers each size on the namespace and warns about Argo CD; resume restores it.
    let (outcome, events) = setup.run("old-2", "shop-elm", Change::Suspend).await;
    succeeded(&outcome);
    assert!(planned(&events).notes.iter().any(|n| n.contains("Argo CD application shop-elm manages this tenant")));
    assert_eq!(sets("shop-elm").get("cache").await.expect("cache").spec.and_then(|s| s.replicas), Some(0));
    let remembered = |ns: Namespace| ns.annotations().get("tenantry.io/suspended-sizes").cloned();
    let namespaces = Api::<Namespace>::all(client.clone());
    assert_eq!(
        remembered(namespaces.get("shop-elm").await.expect("ns")).as_deref(),
        Some(r#"{"StatefulSet/cache":1}"#)
    );
    let (outcome, _) = setup.run("old-2", "shop-elm", Change::Suspend).await;
    assert!(outcome.message.contains("already suspended"), "{}", outcome.message);
    succeeded(&setup.run("old-2", "shop-elm", Change::Resume).await.0);
    assert_eq!(sets("shop-elm").get("cache").await.expect("cache").spec.and_then(|s| s.replicas), Some(1));
    assert_eq!(remembered(namespaces.get("shop-elm").await.expect("ns")), None, "forgotten once resumed");

    // Back up with the namespace's own backup CronJob; none is a clear refusal.
    succeeded(&setup.run("old-2", "shop-cedar", Change::Backup { backup: "before-winter".into() }).await.0);
    let job = Api::<Job>::namespaced(client.clone(), "shop-cedar").get("backup-before-winter").await.expect("job");
    assert_eq!(job.labels().get("tenantry.io/backup").map(String::as_str), Some("before-winter"));
    let (outcome, _) = setup.run("old-2", "shop-alder", Change::Backup { backup: "b1".into() }).await;
    assert!(outcome.message.contains("has no backup schedule"), "{}", outcome.message);

    // What needs a spec says so; delete needs the id typed again.
    let update = Change::version_update(Some("2.5.0".into()));
    let (outcome, _) = setup.run("old-2", "shop-alder", update).await;
    assert!(outcome.message.contains("update needs a Tenantry spec"), "{}", outcome.message);
    let (outcome, _) = setup.run("old-2", "shop-dune", Change::Delete { confirm: "dune".into() }).await;
    assert_eq!(outcome.result, ActionResult::Refused);
    succeeded(&setup.run("old-2", "shop-dune", Change::Delete { confirm: "shop-dune".into() }).await.0);
    assert!(
        namespaces.get_opt("shop-dune").await.expect("read").is_none_or(|ns| ns.metadata.deletion_timestamp.is_some())
    );

    // A namespace no rule makes a tenant stays out of reach.
    let request = ActionRequest {
        context: "old-2".into(),
        tenant: "monitoring".into(),
        change: scale(0, Some("prometheus")),
        take_over: false,
        reason: String::new(),
    };
    let (outcome, _) = setup.run_request(&request).await;
    assert!(outcome.message.contains("is not a Tenantry tenant"), "{}", outcome.message);
    assert_eq!(replicas(deployments("monitoring").get("prometheus").await.expect("prometheus")), Some(2));
}
