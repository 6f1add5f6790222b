//! Helpers for tests of tenant actions: a local cluster with [`Actions`] journaled in a cache
//! of its own, a sample spec, and readers of what the cluster holds afterwards.

use std::path::PathBuf;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::ResourceExt as _;
use kube::api::{Api, ListParams};
use tenantry_core::actions::{ActionSettings, Actions};
use tenantry_core::blueprint::Catalog;
use tenantry_core::cache::Cache;
use tenantry_core::cluster::ClusterList;
use tenantry_core::kubeconfig::{ContextEntry, Sources};
use tenantry_model::{ActionEvent, ActionRequest, ActionResult, BackupPolicy, Change, Outcome, Step, TenantSpec};

use crate::cluster::client_for;
use crate::fleet::Fleet;

/// One local cluster with actions journaled in a cache file of its own.
pub struct Setup {
    /// Holds the cluster's and the cache's files.
    pub dir: tempfile::TempDir,
    /// The cluster.
    pub fleet: Fleet,
    /// The actions.
    pub actions: Actions,
    /// The fleet's contexts.
    pub list: ClusterList,
    /// The cache file the actions journal in.
    pub cache_file: PathBuf,
}

impl Setup {
    /// Starts cluster `name` and actions over a new cache (rollouts wait up to 90 s).
    pub async fn start(name: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let fleet = Fleet::start(dir.path(), &[name.to_owned()]).await.expect("cluster starts");
        let cache_file = dir.path().join("data/cache.sqlite");
        let cache = Cache::open(&cache_file).await.expect("cache opens").cache;
        let catalog = Catalog::load(&dir.path().join("blueprints"));
        let settings =
            ActionSettings { converge_timeout: std::time::Duration::from_secs(90), ..ActionSettings::default() };
        let list = ClusterList::load(&Sources::Explicit(fleet.kubeconfig.clone()));
        Self { actions: Actions::new(cache.clone(), catalog, settings), fleet, list, cache_file, dir }
    }

    /// The context `context` of the fleet.
    pub fn entry(&self, context: &str) -> ContextEntry {
        self.list.entries.iter().find(|e| e.name == context).cloned().expect("context")
    }

    /// An admin client of the cluster.
    pub async fn client(&self) -> kube::Client {
        client_for(&self.fleet.kubeconfig, Some(&self.fleet.clusters[0].name)).await.expect("client")
    }

    /// Runs `change` on `tenant` as `context`, returning the outcome and every event.
    pub async fn run(&self, context: &str, tenant: &str, change: Change) -> (Outcome, Vec<ActionEvent>) {
        let request = ActionRequest {
            context: context.into(),
            tenant: tenant.into(),
            change,
            take_over: false,
            reason: String::new(),
        };
        self.run_request(&request).await
    }

    /// Runs `request`, returning the outcome and every event.
    pub async fn run_request(&self, request: &ActionRequest) -> (Outcome, Vec<ActionEvent>) {
        let mut events = Vec::new();
        let outcome =
            self.actions.run(&self.entry(&request.context), request, |e| events.push(e)).await.expect("recorded");
        (outcome, events)
    }
}

/// A web tenant with two pods, a config key and nightly backups.
pub fn spec() -> TenantSpec {
    TenantSpec {
        display_name: "Maple Shop site".into(),
        customer: "Maple Shop".into(),
        domains: vec!["maple.example.com".into(), "www.maple.example.com".into()],
        blueprint: "web".into(),
        version: "6.5.1".into(),
        plan: "small".into(),
        replicas: 2,
        config: [("SITE_NAME".to_owned(), "Maple".to_owned())].into(),
        backup: Some(BackupPolicy { schedule: "0 3 * * *".into(), retention: 5 }),
        ..TenantSpec::default()
    }
}

/// The preview an action's events carry.
pub fn planned(events: &[ActionEvent]) -> tenantry_model::Preview {
    events
        .iter()
        .find_map(|e| match e {
            ActionEvent::Planned { preview } => Some(preview.clone()),
            _ => None,
        })
        .expect("the preview")
}

/// Asserts that `outcome` succeeded, showing its message otherwise.
pub fn succeeded(outcome: &Outcome) {
    assert_eq!(outcome.result, ActionResult::Succeeded, "{}", outcome.message);
}

/// The tenant's app Deployment.
pub async fn deployment(client: &kube::Client, id: &str) -> Deployment {
    Api::<Deployment>::namespaced(client.clone(), id).get("app").await.expect("app Deployment")
}

/// Ready pods of the tenant's app (backup and restore Job pods left out).
pub async fn ready_pods(client: &kube::Client, id: &str) -> usize {
    let app = ListParams::default().labels("app.kubernetes.io/name=app");
    let pods = Api::<Pod>::namespaced(client.clone(), id).list(&app).await.expect("pods");
    pods.items
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter(|p| {
            p.status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
        })
        .count()
}

/// The names of the tenant's app pods that are not on their way out (a backup Job's pods are not
/// among them: its CronJob may start one at any minute).
pub async fn app_pods(client: &kube::Client, id: &str) -> Vec<String> {
    let app = ListParams::default().labels("app.kubernetes.io/name=app");
    let pods = Api::<Pod>::namespaced(client.clone(), id).list(&app).await.expect("pods");
    pods.items.iter().filter(|p| p.metadata.deletion_timestamp.is_none()).map(|p| p.name_any()).collect()
}

/// The tenant's revision annotation.
pub async fn revision(client: &kube::Client, id: &str) -> String {
    let ns = Api::<Namespace>::all(client.clone()).get(id).await.expect("namespace");
    ns.annotations().get("tenantry.io/revision").cloned().unwrap_or_default()
}

/// Starts `request` and drops it (as if its process died) the moment `step` starts; returns
/// whether that step was reached.
pub async fn interrupted_at(setup: &Setup, request: &ActionRequest, step: Step) -> bool {
    let (reached, stop) = tokio::sync::oneshot::channel();
    let mut reached = Some(reached);
    let entry = setup.entry(&request.context);
    let run = setup.actions.run(&entry, request, |event| {
        if event == (ActionEvent::Started { step })
            && let Some(signal) = reached.take()
        {
            let _ = signal.send(());
        }
    });
    tokio::select! {
        _ = run => false,
        _ = stop => true,
    }
}
