//! Tenancy rules against a real cluster: namespaces made with kubectl become tenants by name
//! pattern or label, with fields read from the labels and annotations a rule names and a display
//! alias; system namespaces and those under `never` are not tenants, and create refuses them;
//! Tenantry's own tenants stay.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;
use tenantry_core::actions::{ActionSettings, Actions};
use tenantry_core::blueprint::Catalog;
use tenantry_core::cache::Cache;
use tenantry_core::inventory::ClusterInventory;
use tenantry_core::tenancy::TenancyRules;
use tenantry_model::ActionRequest;
use tenantry_tests::actions::{Setup, spec, succeeded};

const RULES: &str = "rules:\n  - labels: tenantry.io/tenant\n  - name: '^shop-[a-z0-9-]+$'\n    alias: '^shop-(.+)$'\n    fields:\n      customer: annotation:example.com/customer\n      display_name: annotation:example.com/title\n      plan: label:example.com/plan\n  - labels: 'team=lms,!legacy'\nnever: ['^shop-sandbox']\n";

#[tokio::test(flavor = "multi_thread")]
async fn rules_decide_which_namespaces_are_tenants_and_where_their_fields_come_from() {
    let setup = Setup::start("ten-1").await;
    let client = setup.client().await;
    succeeded(&setup.run("ten-1", "maple-shop", tenantry_model::Change::Create { spec: spec() }).await.0);
    let namespaces = Api::<Namespace>::all(client.clone());
    for (name, labels, annotations) in [
        (
            "shop-alder",
            json!({"example.com/plan": "gold"}),
            json!({"example.com/title": "Alder \u{1F4DA} Books", "example.com/customer": "Alder Books"}),
        ),
        ("shop-birch", json!({}), json!({})),
        ("shop-sandbox-1", json!({}), json!({})),
        ("moodle-1", json!({"team": "lms"}), json!({})),
        ("moodle-old", json!({"team": "lms", "legacy": "yes"}), json!({})),
        ("monitoring", json!({}), json!({})),
    ] {
        let namespace = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels, "annotations": annotations}});
        namespaces
            .patch(name, &PatchParams::apply("kubectl-client-side-apply").force(), &Patch::Apply(&namespace))
            .await
            .expect("a namespace made with kubectl");
    }
    let rules = TenancyRules::parse(Path::new("tenancy.yaml"), RULES).expect("rules");
    let inventory = ClusterInventory::start_with(&setup.entry("ten-1"), Arc::new(rules)).await.expect("starts");
    inventory.synced(Duration::from_secs(30)).await.expect("synced");
    let deadline = Instant::now() + Duration::from_secs(20);
    let summaries = loop {
        let summaries = inventory.summaries();
        if summaries.len() >= 4 || Instant::now() > deadline {
            break summaries;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let ids: Vec<&str> = summaries.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["maple-shop", "moodle-1", "shop-alder", "shop-birch"]);
    let alder = summaries.iter().find(|t| t.id == "shop-alder").expect("alder");
    assert_eq!(
        (alder.display_name.as_str(), alder.customer.as_str(), alder.plan.as_str()),
        ("Alder \u{1F4DA} Books", "Alder Books", "gold")
    );
    let birch = summaries.iter().find(|t| t.id == "shop-birch").expect("birch");
    assert_eq!(birch.display_name, "birch", "the alias when nothing names it");
    let maple = summaries.iter().find(|t| t.id == "maple-shop").expect("Tenantry's own tenant");
    assert_eq!(maple.customer, "Maple Shop", "a spec's fields win");

    // Create never makes a tenant of a namespace the rules exclude, existing or not.
    let cache = Cache::open(&setup.dir.path().join("data/ruled.sqlite")).await.expect("cache").cache;
    let rules = TenancyRules::parse(Path::new("tenancy.yaml"), RULES).expect("rules");
    let settings = ActionSettings { tenancy: Arc::new(rules), ..ActionSettings::default() };
    let actions = Actions::new(cache, Catalog::load(&setup.dir.path().join("blueprints")), settings);
    for id in ["shop-sandbox-1", "shop-sandbox-new"] {
        let request = ActionRequest {
            context: "ten-1".into(),
            tenant: id.into(),
            change: tenantry_model::Change::Create { spec: spec() },
            take_over: false,
            reason: String::new(),
        };
        let outcome = actions.run(&setup.entry("ten-1"), &request, |_| {}).await.expect("recorded");
        assert!(outcome.message.contains("is excluded by the tenancy rules"), "{}", outcome.message);
    }
    assert!(namespaces.get_opt("shop-sandbox-new").await.expect("read").is_none(), "nothing created");
}
