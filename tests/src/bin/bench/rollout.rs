//! The rollout benchmark: tenants created through the core on every cluster (not timed), then
//! a version update of all of them through the rollout engine (a canary, then waves, the fleet
//! watching every cluster for the gate) next to the same new image as bare Deployment patches
//! with no Tenantry in the path; then a scale the same way. The gates' hold times are left out
//! of the engine's time; the process's peak memory during the rollouts is the backend's.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tenantry_core::actions::{ActionSettings, Actions};
use tenantry_core::blueprint::Catalog;
use tenantry_core::cache::Cache;
use tenantry_core::fleet::{Fleet, Settings};
use tenantry_core::kubeconfig::ContextEntry;
use tenantry_core::rollout::{HealthOf, Rollouts};
use tenantry_model::{
    ActionRequest, ActionResult, Change, FleetChange, RolloutEvent, RolloutSettings, RolloutState, TenantSummary,
};

use crate::stats::ms;
use crate::{BenchError, ceiling};

/// Actions at once per cluster while the tenants are created.
const CREATE_CONCURRENCY: usize = 32;

/// What the rollout benchmark measured.
pub struct RolloutFigures {
    /// Tenants changed (all clusters).
    pub tenants: usize,
    /// Clusters.
    pub clusters: usize,
    /// The rollouts' settings.
    pub settings: RolloutSettings,
    /// Planning the update (frozen list, RBAC per tenant and cluster).
    pub plan: Duration,
    /// Its preview (renders compared per tenant, a server dry run per group).
    pub preview: Duration,
    /// The update through the engine, holds left out.
    pub update: Duration,
    /// The holds the update's gates spent.
    pub update_holds: Duration,
    /// The same image by bare patches.
    pub update_ceiling: Duration,
    /// The scale through the engine, holds left out.
    pub scale: Duration,
    /// The holds the scale's gates spent.
    pub scale_holds: Duration,
    /// The same scale by bare scale-subresource patches.
    pub scale_ceiling: Duration,
    /// Peak resident memory of this process (fleet, actions and engine) during the rollouts.
    pub peak_rss_kib: u64,
}

/// Runs every measure over `entries`' clusters with `per_cluster` tenants on each.
pub async fn measure(
    entries: &[ContextEntry],
    per_cluster: usize,
    settings: RolloutSettings,
) -> Result<RolloutFigures, BenchError> {
    let data = tempfile::tempdir().map_err(|source| BenchError::Process { what: "a temp folder".into(), source })?;
    let actions = actions_in(data.path()).await?;
    let ids = bench_ids(per_cluster);
    create(&actions, entries, &ids).await?;

    let fleet = Fleet::start(entries.to_vec(), None, Settings::default()).await;
    let total = per_cluster * entries.len();
    let rows = settled_rows(&fleet, total).await?;
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = tokio::spawn(sample_rss(Arc::clone(&peak)));
    let fleet_ref = &fleet;
    let health: &HealthOf<'_> = &move |cluster: &str, id: &str| fleet_ref.live_health(cluster, id);
    let rollouts = Rollouts::new(&actions, entries.to_vec(), health);

    eprintln!("bench: planning the update of {total} tenants");
    let started = Instant::now();
    let planned = rollouts.plan(&FleetChange::version("7.0.0"), &rows, settings, &[], "bench").await.map_err(chain)?;
    let plan = started.elapsed();
    let started = Instant::now();
    let groups = rollouts.preview(&planned).await;
    let preview = started.elapsed();
    eprintln!("bench: planned in {}, previewed in {} ({} groups)", ms(plan), ms(preview), groups.len());
    let (update, update_holds) = run_timed(&rollouts, planned.id).await?;

    let clients = clients(entries).await?;
    eprintln!("bench: the same new image by bare Deployment patches (the clusters' ceiling)");
    let update_ceiling = in_parallel(&clients, |client| {
        let ids = ids.clone();
        async move { ceiling::raw_images(&client, &ids, "registry.example.com/web:8.0.0", settings.per_cluster).await }
    })
    .await?;

    // Back to the image the specs render (not timed), so the scale changes nothing else.
    in_parallel(&clients, |client| {
        let ids = ids.clone();
        async move { ceiling::raw_images(&client, &ids, "registry.example.com/web:7.0.0", settings.per_cluster).await }
    })
    .await?;

    eprintln!("bench: scaling {total} tenants from 1 to 2 pods through the engine");
    let rows = settled_rows(&fleet, total).await?;
    let planned =
        rollouts.plan(&FleetChange::ScaleTo { replicas: 2 }, &rows, settings, &[], "bench").await.map_err(chain)?;
    let (scale, scale_holds) = run_timed(&rollouts, planned.id).await?;
    eprintln!("bench: the same Deployments from 2 to 3 pods by bare scale patches");
    let scale_ceiling = in_parallel(&clients, |client| {
        let ids = ids.clone();
        async move { ceiling::raw_scales(&client, &ids, 3, settings.per_cluster).await }
    })
    .await?;
    sampler.abort();
    fleet.shutdown().await;
    Ok(RolloutFigures {
        tenants: total,
        clusters: entries.len(),
        settings,
        plan,
        preview,
        update,
        update_holds,
        update_ceiling,
        scale,
        scale_holds,
        scale_ceiling,
        peak_rss_kib: peak.load(Ordering::Relaxed),
    })
}

/// The benchmark's tenant ids, `count` of them.
pub fn bench_ids(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("bench-ro-{i:04}")).collect()
}

/// Creates tenants `ids` on every cluster of `entries` through the core (32 at once per cluster,
/// the clusters side by side), each until it runs.
pub async fn create(actions: &Actions, entries: &[ContextEntry], ids: &[String]) -> Result<(), BenchError> {
    eprintln!("bench: creating {} tenants on each of {} clusters (not timed)", ids.len(), entries.len());
    let started = Instant::now();
    let creates = entries.iter().map(|entry| {
        let requests: Vec<ActionRequest> = ids
            .iter()
            .map(|id| ActionRequest {
                context: entry.name.clone(),
                tenant: id.clone(),
                change: Change::Create { spec: crate::actions::spec(id) },
                take_over: false,
                reason: String::new(),
            })
            .collect();
        async move { actions.run_many(entry, &requests, CREATE_CONCURRENCY).await }
    });
    for outcomes in futures::future::join_all(creates).await {
        let outcomes = outcomes.map_err(chain)?;
        if let Some(failed) = outcomes.iter().find(|o| o.result != ActionResult::Succeeded) {
            return Err(BenchError::Failed(format!("a create did not succeed: {}", failed.message)));
        }
    }
    eprintln!("bench: created in {}", ms(started.elapsed()));
    Ok(())
}

/// Actions over a cache in `folder` that wait up to 15 minutes for convergence.
pub async fn actions_in(folder: &std::path::Path) -> Result<Actions, BenchError> {
    let cache = Cache::open(&folder.join("cache.sqlite")).await.map_err(chain)?.cache;
    let catalog = Catalog::load(&folder.join("blueprints"));
    let converge_timeout = Duration::from_secs(900);
    Ok(Actions::new(cache, catalog, ActionSettings { converge_timeout, ..ActionSettings::default() }))
}

/// Runs rollout `id` to its end; returns its time without the gates' holds, and the holds.
async fn run_timed(rollouts: &Rollouts<'_>, id: i64) -> Result<(Duration, Duration), BenchError> {
    let mut holds = Duration::ZERO;
    let mut holding: Option<Instant> = None;
    let mut wave_started: Option<(Instant, usize)> = None;
    let mut track = |event: RolloutEvent| {
        if let Some(since) = holding.take() {
            holds += since.elapsed();
        }
        match event {
            RolloutEvent::Holding { wave, .. } => {
                holding = Some(Instant::now());
                if let Some((started, tenants)) = wave_started.take() {
                    let took = started.elapsed();
                    let pace = tenants as f64 / took.as_secs_f64().max(0.001);
                    eprintln!("bench:   wave {wave}: {tenants} tenants changed in {} ({pace:.1} tenants/s)", ms(took));
                }
            }
            RolloutEvent::WaveStarted { tenants, .. } => wave_started = Some((Instant::now(), tenants)),
            _ => {}
        }
    };
    let started = Instant::now();
    let ran = rollouts.run(id, &mut track).await.map_err(chain)?;
    let took = started.elapsed();
    if ran.state != RolloutState::Finished {
        return Err(BenchError::Failed(format!("rollout #{id} ended {:?}: {}", ran.state, ran.message)));
    }
    Ok((took.saturating_sub(holds), holds))
}

/// The fleet's rows once all `total` bench tenants are live.
async fn settled_rows(fleet: &Fleet, total: usize) -> Result<Vec<TenantSummary>, BenchError> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let rows: Vec<TenantSummary> = fleet
            .tenants()
            .into_iter()
            .filter(|row| row.id.starts_with("bench-ro-") && row.freshness.is_live())
            .collect();
        if rows.len() == total {
            return Ok(rows);
        }
        if Instant::now() > deadline {
            return Err(BenchError::Failed(format!("the fleet sees {} of {total} tenants live", rows.len())));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn clients(entries: &[ContextEntry]) -> Result<Vec<kube::Client>, BenchError> {
    let mut clients = Vec::new();
    for entry in entries {
        let config = entry.client_config().await.map_err(chain)?;
        clients.push(
            kube::Client::try_from(config).map_err(|source| BenchError::Kube { what: "a client".into(), source })?,
        );
    }
    Ok(clients)
}

/// Runs `work` on every cluster at once; returns the longest (they start together).
async fn in_parallel<F, Fut>(clients: &[kube::Client], work: F) -> Result<Duration, BenchError>
where
    F: Fn(kube::Client) -> Fut,
    Fut: std::future::Future<Output = Result<Duration, BenchError>>,
{
    let mut longest = Duration::ZERO;
    for took in futures::future::join_all(clients.iter().cloned().map(work)).await {
        longest = longest.max(took?);
    }
    Ok(longest)
}

/// Keeps the highest resident memory of this process (KiB) in `peak`, sampled every 200 ms.
async fn sample_rss(peak: Arc<AtomicU64>) {
    loop {
        if let Some(kib) = std::fs::read_to_string("/proc/self/status").ok().and_then(|status| {
            status.lines().find_map(|l| l.strip_prefix("VmRSS:")?.split_whitespace().next()?.parse::<u64>().ok())
        }) {
            peak.fetch_max(kib, Ordering::Relaxed);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `error` with its causes as a failed benchmark.
pub fn chain(error: impl std::error::Error + 'static) -> BenchError {
    BenchError::Failed(tenantry_core::error::chain(&error))
}

impl RolloutFigures {
    /// The Markdown section: one row per measure, the ratios against the clusters' ceiling.
    pub fn report(&self) -> String {
        let rate = |d: Duration| self.tenants as f64 / d.as_secs_f64().max(f64::EPSILON);
        let ratio =
            |engine: Duration, ceiling: Duration| ceiling.as_secs_f64() / engine.as_secs_f64().max(f64::EPSILON);
        let s = &self.settings;
        format!(
            "{} tenants on {} clusters; canary {}, waves of {}, {} at once per cluster, holds of {} s\n\n\
             | Measure | Result |\n|---|---|\n\
             | Plan the update (frozen list, RBAC per tenant) | {} |\n\
             | Its preview (renders compared, a dry run per group) | {} |\n\
             | Update through the engine, holds left out | {} ({:.1} tenants/s; holds {}) |\n\
             | The clusters alone: bare image patches, until running | {} ({:.1} tenants/s) |\n\
             | Engine ÷ ceiling, update (tenants/s) | {:.2}× |\n\
             | Scale 1 → 2 through the engine, holds left out | {} ({:.1} tenants/s; holds {}) |\n\
             | The clusters alone: bare scale patches 2 → 3, until running | {} ({:.1} tenants/s) |\n\
             | Engine ÷ ceiling, scale (tenants/s) | {:.2}× |\n\
             | Peak memory of the backend (fleet + actions + engine) | {:.0} MiB |\n",
            self.tenants,
            self.clusters,
            s.canary,
            s.wave_size,
            s.per_cluster,
            s.hold_seconds,
            ms(self.plan),
            ms(self.preview),
            ms(self.update),
            rate(self.update),
            ms(self.update_holds),
            ms(self.update_ceiling),
            rate(self.update_ceiling),
            ratio(self.update, self.update_ceiling),
            ms(self.scale),
            rate(self.scale),
            ms(self.scale_holds),
            ms(self.scale_ceiling),
            rate(self.scale_ceiling),
            ratio(self.scale, self.scale_ceiling),
            self.peak_rss_kib as f64 / 1024.0,
        )
    }
}
