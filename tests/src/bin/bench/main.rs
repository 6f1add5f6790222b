//! `bench`: the benchmarks, each printing a Markdown section for `docs/benchmarks.md`.
//! `bench fleet`: against the clusters `testenv up` started and `testenv seed` filled, the
//! cached inventory at process start, the time until every cluster is live next to raw parallel
//! LIST requests and kubectl in the same run, status propagation and the backend's peak RSS.
//! `bench actions`: creates through the core next to kubectl, then scales, on the first
//! cluster. `bench rollout`: an update and a scale of every tenant of every cluster through the
//! rollout engine next to bare patches. `scripts/bench`, `scripts/bench-actions` and
//! `scripts/bench-rollout` set the clusters up and run them.

mod actions;
mod ceiling;
mod cli;
mod distinct_pages;
mod lists;
mod propagation;
mod rollout;
mod settle;
mod stats;
mod window_rollout;
mod window_start;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use tenantry_core::cluster::ClusterList;
use tenantry_core::kubeconfig::{ContextEntry, Sources};
use tenantry_tests::fleet;

use stats::{all_ms, median, ms, percentile};

/// Measures Tenantry against the running local clusters.
#[derive(Parser)]
struct Bench {
    #[command(subcommand)]
    suite: Suite,
}

#[derive(Subcommand)]
enum Suite {
    /// The fleet: cached start, live sync against raw LIST and kubectl, propagation, RSS.
    Fleet(Args),
    /// Actions: creates against kubectl apply, then scales.
    Actions(ActionArgs),
    /// Rollouts: an update and a scale of every tenant of every cluster in waves, against bare
    /// patches of the same Deployments.
    Rollout(RolloutArgs),
    /// The window while a rollout of every tenant runs: frame gaps and the app's memory.
    WindowRollout(WindowArgs),
    /// The window's start with kubeconfigs of many contexts: its timing marks and memory.
    WindowStart(WindowStartArgs),
}

/// Options of `bench window-start`.
#[derive(clap::Args)]
struct WindowStartArgs {
    /// Folder of the local clusters (as given to `testenv`); its first cluster is the real one.
    #[arg(long, env = "TENANTRY_TESTENV_DIR", default_value = "/tmp/tenantry-testenv")]
    dir: PathBuf,
    /// The kubeconfig sizes measured, the first the baseline.
    #[arg(long, value_delimiter = ',', default_value = "3,100,500")]
    contexts: Vec<usize>,
    /// The app binary; default: `tenantry-app` next to this program.
    #[arg(long)]
    app: Option<PathBuf>,
    /// Instead of kubeconfig sizes, the app on every cluster of the folder (their admin
    /// contexts): cached rows, live rows and memory at the fleet's full size.
    #[arg(long, conflicts_with = "contexts")]
    whole_fleet: bool,
}

/// Options of `bench window-rollout`.
#[derive(clap::Args)]
struct WindowArgs {
    /// Folder of the local clusters (as given to `testenv`).
    #[arg(long, env = "TENANTRY_TESTENV_DIR", default_value = "/tmp/tenantry-testenv")]
    dir: PathBuf,
    /// Tenants created and changed on each cluster.
    #[arg(long, default_value_t = 1000)]
    tenants: usize,
    /// The app binary; default: `tenantry-app` next to this program.
    #[arg(long)]
    app: Option<PathBuf>,
}

/// Options of `bench rollout`.
#[derive(clap::Args)]
struct RolloutArgs {
    /// Folder of the local clusters (as given to `testenv`).
    #[arg(long, env = "TENANTRY_TESTENV_DIR", default_value = "/tmp/tenantry-testenv")]
    dir: PathBuf,
    /// Tenants created and changed on each cluster.
    #[arg(long, default_value_t = 1000)]
    tenants: usize,
    /// Tenants in the canary.
    #[arg(long, default_value_t = 10)]
    canary: usize,
    /// Tenants per later wave.
    #[arg(long, default_value_t = 100)]
    wave_size: usize,
    /// Tenants changed at once on one cluster.
    #[arg(long, default_value_t = 32)]
    per_cluster: usize,
    /// Seconds each wave holds healthy (left out of the engine's time).
    #[arg(long, default_value_t = 3)]
    hold: u64,
}

/// Options of `bench actions`.
#[derive(clap::Args)]
struct ActionArgs {
    /// Folder of the local clusters (as given to `testenv`).
    #[arg(long, env = "TENANTRY_TESTENV_DIR", default_value = "/tmp/tenantry-testenv")]
    dir: PathBuf,
    /// Tenants created by each side.
    #[arg(long, default_value_t = 200)]
    creates: usize,
    /// Tenants scaled (more are created first when needed).
    #[arg(long, default_value_t = 1000)]
    scales: usize,
    /// Actions at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
}

/// Options of `bench fleet`.
#[derive(clap::Args)]
struct Args {
    /// Folder of the local clusters (as given to `testenv`).
    #[arg(long, env = "TENANTRY_TESTENV_DIR", default_value = "/tmp/tenantry-testenv")]
    dir: PathBuf,
    /// Runs of each timed measure; medians are printed.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Tenants whose readiness is flipped (each flip is timed twice: to false and back).
    #[arg(long, default_value_t = 20)]
    flips: usize,
    /// The `tenantry` binary; default: the one next to this program.
    #[arg(long)]
    tenantry: Option<PathBuf>,
}

/// Why the benchmark could not finish.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The local clusters or a client for them.
    #[error(transparent)]
    Setup(#[from] tenantry_tests::Error),
    /// A Kubernetes request failed.
    #[error("{what}")]
    Kube {
        /// The request.
        what: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// A program could not be run.
    #[error("cannot run {what}")]
    Process {
        /// The program.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A measured run did not do what it must.
    #[error("{0}")]
    Failed(String),
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .init();
    let outcome = match Bench::parse().suite {
        Suite::Fleet(args) => run(args).await,
        Suite::Actions(args) => run_actions(args).await,
        Suite::Rollout(args) => run_rollout(args).await,
        Suite::WindowRollout(args) => run_window_rollout(args).await,
        Suite::WindowStart(args) => run_window_start(args).await,
    };
    match outcome {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {}", tenantry_core::error::chain(&err));
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<String, BenchError> {
    let state = fleet::read_state(&args.dir)?;
    let kubeconfig = state.kubeconfig.clone();
    let kubectl = state.binaries.join("kubectl");
    let tenantry = match args.tenantry {
        Some(path) => path,
        None => std::env::current_exe()
            .map_err(|source| BenchError::Process { what: "this program".into(), source })?
            .with_file_name("tenantry"),
    };
    let contexts: Vec<String> = state.clusters.iter().map(|c| c.name.clone()).collect();
    let list = ClusterList::load(&Sources::Explicit(kubeconfig.clone()));
    let entries: Vec<ContextEntry> = list.watched(None).into_iter().cloned().collect();

    let counts = settle::quiet(&kubeconfig, &contexts).await?;
    let tenants: usize = counts.iter().map(|c| c.tenants).sum();
    let data = tempfile::tempdir().map_err(|source| BenchError::Process { what: "a temp folder".into(), source })?;

    eprintln!("bench: tenantry tenants, live then cached ({} runs each)", args.runs);
    let cli = cli::run(&tenantry, &kubeconfig, data.path(), args.runs, tenants)?;

    let (mut fleet_runs, mut raw_runs, mut kubectl_runs, mut bytes) = (Vec::new(), Vec::new(), Vec::new(), 0);
    for run in 1..=args.runs {
        eprintln!("bench: live sync, run {run} of {}", args.runs);
        // kubectl's half minute leaves the API servers collecting garbage: the fleet and the raw
        // LIST each start after a pause, and take turns at going first.
        kubectl_runs.push(lists::kubectl_lists(&kubectl, &kubeconfig, &contexts).await?);
        for fleet_first in [run % 2 == 0, run % 2 == 1] {
            tokio::time::sleep(lists::PAUSE).await;
            if fleet_first {
                fleet_runs.push(lists::fleet_live(&entries, tenants).await?);
            } else {
                let (raw, read) = lists::raw_lists(&kubeconfig, &contexts).await?;
                raw_runs.push(raw);
                bytes = read;
            }
        }
    }

    eprintln!("bench: propagation, {} flips", args.flips);
    let cache = data.path().join("propagation.sqlite");
    let latencies = propagation::measure(&entries, &kubeconfig, &cache, args.flips).await?;

    let figures = Figures { cli, fleet_runs, raw_runs, kubectl_runs, latencies };
    Ok(figures.report(&counts, bytes, args.runs))
}

async fn run_actions(args: ActionArgs) -> Result<String, BenchError> {
    let state = fleet::read_state(&args.dir)?;
    let list = ClusterList::load(&Sources::Explicit(state.kubeconfig.clone()));
    let first = state.clusters.first().ok_or_else(|| BenchError::Failed("no cluster is running".into()))?;
    let entry = list
        .entries
        .iter()
        .find(|e| e.name == first.name)
        .ok_or_else(|| BenchError::Failed(format!("no context {}", first.name)))?;
    let kubectl = state.binaries.join("kubectl");
    let figures =
        actions::measure(entry, &kubectl, &state.kubeconfig, args.creates, args.scales, args.concurrency).await?;
    Ok(figures.report())
}

async fn run_rollout(args: RolloutArgs) -> Result<String, BenchError> {
    let state = fleet::read_state(&args.dir)?;
    let list = ClusterList::load(&Sources::Explicit(state.kubeconfig.clone()));
    let entries: Vec<ContextEntry> = list.watched(None).into_iter().cloned().collect();
    let settings = tenantry_model::RolloutSettings {
        canary: args.canary,
        wave_size: args.wave_size,
        per_cluster: args.per_cluster,
        hold_seconds: args.hold,
        max_failures: 0,
        max_failure_percent: 0,
    };
    Ok(rollout::measure(&entries, args.tenants, settings).await?.report())
}

async fn run_window_rollout(args: WindowArgs) -> Result<String, BenchError> {
    let state = fleet::read_state(&args.dir)?;
    let list = ClusterList::load(&Sources::Explicit(state.kubeconfig.clone()));
    let entries: Vec<ContextEntry> = list.watched(None).into_iter().cloned().collect();
    let app = match args.app {
        Some(path) => path,
        None => std::env::current_exe()
            .map_err(|source| BenchError::Process { what: "this program".into(), source })?
            .with_file_name("tenantry-app"),
    };
    let figures = window_rollout::measure(&entries, &state.kubeconfig, &app, args.tenants).await?;
    Ok(figures.report())
}

async fn run_window_start(args: WindowStartArgs) -> Result<String, BenchError> {
    let state = fleet::read_state(&args.dir)?;
    let app = match args.app {
        Some(path) => path,
        None => std::env::current_exe()
            .map_err(|source| BenchError::Process { what: "this program".into(), source })?
            .with_file_name("tenantry-app"),
    };
    if args.whole_fleet {
        window_start::measure_fleet(&state.kubeconfig, &app, state.clusters.len()).await
    } else {
        window_start::measure(&state.kubeconfig, &app, &args.contexts).await
    }
}

/// Everything measured, ready to be printed.
struct Figures {
    cli: cli::CliRuns,
    fleet_runs: Vec<Duration>,
    raw_runs: Vec<Duration>,
    kubectl_runs: Vec<Duration>,
    latencies: Vec<Duration>,
}

impl Figures {
    /// The Markdown section: setup, one row per measure with its target, and every sample.
    fn report(&self, counts: &[settle::Counts], bytes: usize, runs: usize) -> String {
        let zero = Duration::ZERO;
        let med = |samples: &[Duration]| median(samples).unwrap_or(zero);
        let (fleet, raw, kubectl) = (med(&self.fleet_runs), med(&self.raw_runs), med(&self.kubectl_runs));
        let cached = med(&self.cli.cached);
        let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(f64::EPSILON);
        let (p50, p95) =
            (percentile(&self.latencies, 50.0).unwrap_or(zero), percentile(&self.latencies, 95.0).unwrap_or(zero));
        let rss_mib = self.cli.peak_rss_kib as f64 / 1024.0;
        let met = |ok: bool| if ok { "yes" } else { "**no**" };
        let tenants: usize = counts.iter().map(|c| c.tenants).sum();
        let clusters: Vec<String> = counts
            .iter()
            .map(|c| {
                format!(
                    "{}: {} tenants, {} deployments, {} pods ({} ready), {} pods outside tenants",
                    c.context, c.tenants, c.deployments, c.pods, c.ready, c.outside
                )
            })
            .collect();
        let rows = [
            [
                format!(
                    "Cached inventory ready after process start (`tenantry tenants --offline --json`, {tenants} rows)"
                ),
                ms(cached),
                "< 300 ms".into(),
                met(cached < Duration::from_millis(300)).into(),
            ],
            [
                "All clusters live: Tenantry's fleet (9 watches per cluster)".into(),
                ms(fleet),
                String::new(),
                String::new(),
            ],
            [
                format!("Same objects, raw parallel HTTP LIST ({:.1} MB)", bytes as f64 / 1e6),
                ms(raw),
                String::new(),
                String::new(),
            ],
            [
                "Same objects, `kubectl get -o json`, one per cluster in parallel".into(),
                ms(kubectl),
                String::new(),
                String::new(),
            ],
            [
                "Fleet ÷ raw LIST".into(),
                format!("{:.2}×", ratio(fleet, raw)),
                "≤ 1.2×".into(),
                met(ratio(fleet, raw) <= 1.2).into(),
            ],
            [
                "Fleet ÷ kubectl".into(),
                format!("{:.2}×", ratio(fleet, kubectl)),
                "< 0.2×".into(),
                met(ratio(fleet, kubectl) < 0.2).into(),
            ],
            [
                format!("Propagation, pod readiness → subscriber diff, p50 / p95 ({} flips)", self.latencies.len()),
                format!("{} / {}", ms(p50), ms(p95)),
                "p95 < 250 ms".into(),
                met(p95 < Duration::from_millis(250)).into(),
            ],
            [
                "Peak RSS of the backend (live `tenantry tenants --json`, highest of the runs)".into(),
                format!("{rss_mib:.0} MiB"),
                "< 150 MiB".into(),
                met(rss_mib < 150.0).into(),
            ],
            [
                "Live `tenantry tenants --json` end to end (start, sync, print)".into(),
                ms(med(&self.cli.live)),
                String::new(),
                String::new(),
            ],
        ];
        let table: Vec<String> =
            rows.iter().map(|r| format!("| {} | {} | {} | {} |", r[0], r[1], r[2], r[3])).collect();
        format!(
            "### {} clusters × {} tenants, {runs} runs (medians)\n\n{}\n\n| Measure | Result | Target | Met |\n|---|---|---|---|\n{}\n\n\
             Samples in ms, in the order run — cached start: {}; fleet live: {}; raw LIST: {}; kubectl: {}; propagation: {}.\n",
            counts.len(),
            tenants / counts.len().max(1),
            clusters.iter().map(|c| format!("- {c}")).collect::<Vec<_>>().join("\n"),
            table.join("\n"),
            all_ms(&self.cli.cached),
            all_ms(&self.fleet_runs),
            all_ms(&self.raw_runs),
            all_ms(&self.kubectl_runs),
            all_ms(&self.latencies),
        )
    }
}
