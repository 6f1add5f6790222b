//! The actions benchmark: creates tenants through the core (bounded concurrency, each until it
//! runs) next to `kubectl apply` of the same rendered manifests plus `kubectl wait` until they
//! run, in the same invocation; then scales every created tenant and reports tenants per second.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use tenantry_core::actions::{ActionSettings, Actions};
use tenantry_core::blueprint::Catalog;
use tenantry_core::cache::Cache;
use tenantry_core::kubeconfig::ContextEntry;
use tenantry_model::{ActionRequest, ActionResult, BackupPolicy, Change, TenantSpec};

use crate::stats::ms;
use crate::{BenchError, ceiling};

/// What the actions benchmark measured.
pub struct ActionFigures {
    /// Tenants created by each side.
    pub creates: usize,
    /// Core: create `creates` tenants, each until it runs.
    pub core_create: Duration,
    /// kubectl: apply the same manifests, then wait until every Deployment is available.
    pub kubectl_create: Duration,
    /// Tenants scaled.
    pub scales: usize,
    /// Core: scale them all from 1 to 2 pods, each until it runs.
    pub core_scale: Duration,
    /// The cluster alone: scale the same Deployments from 2 to 3 pods by bare scale-subresource
    /// patches, until every new pod runs.
    pub ceiling_scale: Duration,
    /// Actions at once.
    pub concurrency: usize,
}

/// The spec every benchmark tenant gets.
pub fn spec(id: &str) -> TenantSpec {
    TenantSpec {
        display_name: format!("{id} site"),
        customer: format!("Customer of {id}"),
        domains: vec![format!("{id}.bench.example.com")],
        blueprint: "web".into(),
        version: "6.5.1".into(),
        plan: "small".into(),
        replicas: 1,
        backup: Some(BackupPolicy { schedule: "0 3 * * *".into(), retention: 7 }),
        ..TenantSpec::default()
    }
}

/// Runs every measure against `entry`'s cluster with `kubectl` and `kubeconfig`.
pub async fn measure(
    entry: &ContextEntry,
    kubectl: &Path,
    kubeconfig: &Path,
    creates: usize,
    scales: usize,
    concurrency: usize,
) -> Result<ActionFigures, BenchError> {
    let data = tempfile::tempdir().map_err(|source| BenchError::Process { what: "a temp folder".into(), source })?;
    let cache = Cache::open(&data.path().join("cache.sqlite"))
        .await
        .map_err(|e| BenchError::Failed(format!("the cache: {}", tenantry_core::error::chain(&e))))?
        .cache;
    let catalog = Catalog::load(&data.path().join("blueprints"));
    let settings = ActionSettings { converge_timeout: Duration::from_secs(600), ..ActionSettings::default() };
    let actions = Actions::new(cache, catalog, settings);
    let scales = scales.max(creates);

    eprintln!("bench: {creates} creates through the core, {concurrency} at a time");
    let ids: Vec<String> = (0..scales).map(|i| format!("bench-core-{i:04}")).collect();
    let create = |ids: &[String]| -> Vec<ActionRequest> {
        ids.iter()
            .map(|id| ActionRequest {
                context: entry.name.clone(),
                tenant: id.clone(),
                change: Change::Create { spec: spec(id) },
                take_over: false,
                reason: String::new(),
            })
            .collect()
    };
    let started = Instant::now();
    succeeded(&actions.run_many(entry, &create(&ids[..creates]), concurrency).await.map_err(action_error)?)?;
    let core_create = started.elapsed();

    eprintln!("bench: the same manifests through kubectl apply + kubectl wait");
    let kubectl_create = kubectl_creates(
        &Catalog::load(&data.path().join("blueprints")),
        kubectl,
        kubeconfig,
        entry,
        creates,
        data.path(),
    )?;

    eprintln!("bench: {} more tenants for the scale run (not timed)", scales - creates);
    succeeded(&actions.run_many(entry, &create(&ids[creates..]), concurrency).await.map_err(action_error)?)?;

    eprintln!("bench: scaling {scales} tenants from 1 to 2 pods, {concurrency} at a time");
    let scale: Vec<ActionRequest> = ids
        .iter()
        .map(|id| ActionRequest {
            context: entry.name.clone(),
            tenant: id.clone(),
            change: Change::Scale { replicas: Some(2), autoscaling: None, workload: None },
            take_over: false,
            reason: String::new(),
        })
        .collect();
    let started = Instant::now();
    succeeded(&actions.run_many(entry, &scale, concurrency).await.map_err(action_error)?)?;
    let core_scale = started.elapsed();

    eprintln!("bench: the cluster's ceiling, bare scale-subresource patches of the same tenants from 2 to 3 pods");
    let config = entry.client_config().await.map_err(|e| BenchError::Failed(tenantry_core::error::chain(&e)))?;
    let client =
        kube::Client::try_from(config).map_err(|source| BenchError::Kube { what: "a client".into(), source })?;
    let ceiling_scale = ceiling::raw_scales(&client, &ids, 3, concurrency).await?;
    Ok(ActionFigures { creates, core_create, kubectl_create, scales, core_scale, ceiling_scale, concurrency })
}

/// Renders `count` tenants `bench-kubectl-NNNN` with the same blueprint and spec, applies them
/// with one `kubectl apply -f`, and waits with `kubectl wait` until every Deployment is
/// available; returns the time from the apply's start to the wait's end.
fn kubectl_creates(
    catalog: &Catalog,
    kubectl: &Path,
    kubeconfig: &Path,
    entry: &ContextEntry,
    count: usize,
    folder: &Path,
) -> Result<Duration, BenchError> {
    let blueprint = catalog.get("web").map_err(|e| BenchError::Failed(e.to_string()))?;
    let mut documents = Vec::new();
    for i in 0..count {
        let id = format!("bench-kubectl-{i:04}");
        let spec = spec(&id);
        let spec_json = serde_json::to_string(&spec).map_err(|e| BenchError::Failed(e.to_string()))?;
        documents.push(serde_json::json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": id, "labels": {"tenantry.io/tenant": id, "app.kubernetes.io/managed-by": "tenantry", "bench": "kubectl"},
                         "annotations": {"tenantry.io/spec": spec_json, "tenantry.io/revision": "1"}},
        }));
        let manifests = blueprint.render(&id, &spec).map_err(|e| BenchError::Failed(e.to_string()))?;
        documents.extend(manifests.into_iter().map(|m| m.object));
    }
    let file = folder.join("kubectl-tenants.yaml");
    let text: Vec<String> = documents.iter().map(ToString::to_string).collect();
    std::fs::write(&file, text.join("\n---\n"))
        .map_err(|source| BenchError::Process { what: "the manifest file".into(), source })?;
    let kubectl_run = |args: &[&str]| -> Result<(), BenchError> {
        let output = Command::new(kubectl)
            .args(args)
            .arg(format!("--kubeconfig={}", kubeconfig.display()))
            .arg(format!("--context={}", entry.name))
            .output()
            .map_err(|source| BenchError::Process { what: "kubectl".into(), source })?;
        if output.status.success() {
            Ok(())
        } else {
            Err(BenchError::Failed(format!("kubectl {args:?}: {}", String::from_utf8_lossy(&output.stderr))))
        }
    };
    let started = Instant::now();
    kubectl_run(&["apply", "-f", &file.display().to_string()])?;
    kubectl_run(&[
        "wait",
        "deployment",
        "--all-namespaces",
        "--selector=tenantry.io/tenant",
        "--for=condition=Available",
        "--timeout=600s",
    ])?;
    Ok(started.elapsed())
}

fn succeeded(outcomes: &[tenantry_model::Outcome]) -> Result<(), BenchError> {
    match outcomes.iter().find(|o| o.result != ActionResult::Succeeded) {
        Some(failed) => Err(BenchError::Failed(format!("an action did not succeed: {}", failed.message))),
        None => Ok(()),
    }
}

fn action_error(error: tenantry_core::actions::ActionError) -> BenchError {
    BenchError::Failed(tenantry_core::error::chain(&error))
}

impl ActionFigures {
    /// The Markdown section.
    pub fn report(&self) -> String {
        let ratio = self.core_create.as_secs_f64() / self.kubectl_create.as_secs_f64().max(f64::EPSILON);
        let rate = |took: Duration| self.scales as f64 / took.as_secs_f64().max(f64::EPSILON);
        let (per_second, ceiling_per_second) = (rate(self.core_scale), rate(self.ceiling_scale));
        let met = |ok: bool| if ok { "yes" } else { "**no**" };
        format!(
            "### Actions: {creates} creates and {scales} scales on one cluster, {concurrency} at a time\n\n\
             | Measure | Result | Target | Met |\n|---|---|---|---|\n\
             | Create {creates} tenants through the core (validate, access, journal, dry run, apply, until running) | {core} | | |\n\
             | The same manifests: `kubectl apply -f` + `kubectl wait --for=condition=Available` | {kubectl} | | |\n\
             | Core ÷ kubectl | {ratio:.2}× | < 1× | {ratio_met} |\n\
             | Scale {scales} tenants 1 → 2 pods through the core, until running | {scale} ({per_second:.1} tenants/s) | ≥ 50 tenants/s | {scale_met} |\n\
             | The cluster alone: scale-subresource patches of the same Deployments 2 → 3 pods, until running | {ceiling} ({ceiling_per_second:.1} tenants/s) | | |\n\
             | Core ÷ the cluster alone (tenants/s) | {share:.2}× | | |\n",
            creates = self.creates,
            scales = self.scales,
            concurrency = self.concurrency,
            core = ms(self.core_create),
            kubectl = ms(self.kubectl_create),
            ratio_met = met(ratio < 1.0),
            scale = ms(self.core_scale),
            scale_met = met(per_second >= 50.0),
            ceiling = ms(self.ceiling_scale),
            share = per_second / ceiling_per_second.max(f64::EPSILON),
        )
    }
}
