//! A fleet Tenantry did not make (`tests/fixtures/existing-fleet`, applied with kubectl and as
//! Helm): the tenancy rules find its tenants, each with the health and reason its workloads
//! really have, its version and domains read from its objects and where each field came from;
//! excluded and other namespaces are absent.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tenantry_core::inventory::ClusterInventory;
use tenantry_core::tenancy::TenancyRules;
use tenantry_model::{Health, TenantSummary};
use tenantry_tests::actions::Setup;
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
    assert_eq!(customer, Some("Capsule tenant (label capsule.clastix.io/tenant)"));
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
