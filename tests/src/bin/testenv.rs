//! `testenv`: starts, seeds and stops the local Kubernetes clusters of tests and demos.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tenantry_tests::fleet::{self, Fleet};

/// Local Kubernetes clusters for Tenantry's tests and demos.
#[derive(Parser)]
struct Cli {
    /// Folder of the fleet: cluster data, logs, kubeconfig and state file.
    #[arg(long, env = "TENANTRY_TESTENV_DIR", default_value = "/tmp/tenantry-testenv")]
    dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Builds the binaries if needed, starts N clusters and prints the kubeconfig path.
    Up {
        /// How many clusters.
        #[arg(default_value_t = 3)]
        count: usize,
        /// Cluster names (comma-separated); default `local-1`, `local-2`, …
        #[arg(long, value_delimiter = ',')]
        names: Vec<String>,
        /// Starts the clusters on the data of the last `up` in this folder (its seeded objects
        /// kept) instead of empty ones.
        #[arg(long)]
        keep_data: bool,
    },
    /// Creates M tenants in every running cluster (idempotent), with a log for each of their pods.
    Seed {
        /// Tenants per cluster.
        #[arg(default_value_t = 20)]
        tenants: usize,
        /// Pods per tenant.
        #[arg(long, default_value_t = 2)]
        replicas: i32,
        /// Pods outside every tenant per cluster (namespaces `infra-N` of 20 pods each), as a
        /// real cluster runs them.
        #[arg(long, default_value_t = 0)]
        outside_pods: usize,
    },
    /// Stops every process `up` started.
    Down,
    /// Prints the running clusters.
    Status,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,kube=warn,kube_client=off".into()),
        )
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", tenantry_core::error::chain(&err));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> tenantry_tests::Result<()> {
    match cli.command {
        Command::Up { count, names, keep_data } => {
            if fleet::read_state(&cli.dir).is_ok() {
                fleet::down(&cli.dir)?;
            }
            if !keep_data {
                let _ = std::fs::remove_dir_all(&cli.dir);
            }
            let names = if names.is_empty() { (1..=count).map(|i| format!("local-{i}")).collect() } else { names };
            let started = std::time::Instant::now();
            let fleet = Fleet::start(&cli.dir, &names).await?;
            let state = fleet.detach()?;
            eprintln!("{} clusters up in {:.1} s", state.clusters.len(), started.elapsed().as_secs_f32());
            println!("{}", state.kubeconfig.display());
        }
        Command::Seed { tenants, replicas, outside_pods } => {
            let state = fleet::read_state(&cli.dir)?;
            for cluster in &state.clusters {
                let client = tenantry_tests::cluster::client_for(&state.kubeconfig, Some(&cluster.name)).await?;
                let started = std::time::Instant::now();
                let seeded = tenantry_tests::seed::seed(&client, tenants, replicas).await?;
                let namespaces = tenantry_tests::seed::outside(&client, outside_pods).await?;
                let logs_dir = cli.dir.join(&cluster.name).join("pod-logs");
                let logged = tenantry_tests::pod_logs::serve_seeded(&client, &logs_dir, &seeded).await?;
                eprintln!(
                    "{}: {tenants} tenants ({logged} pods with logs) and {outside_pods} pods in {namespaces} other namespaces seeded in {:.1} s",
                    cluster.name,
                    started.elapsed().as_secs_f32()
                );
            }
        }
        Command::Down => {
            let stopped = fleet::down(&cli.dir)?;
            eprintln!("stopped {stopped} processes");
        }
        Command::Status => {
            let state = fleet::read_state(&cli.dir)?;
            println!("kubeconfig: {}", state.kubeconfig.display());
            for cluster in &state.clusters {
                println!("{}  {}  pids {:?}", cluster.name, cluster.server, cluster.pids);
            }
        }
    }
    Ok(())
}
