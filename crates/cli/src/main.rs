//! `tenantry`: the command line over Tenantry's core, for scripting, CI and benchmarks.

mod clusters;
mod output;
mod selection;
mod tenant;
mod tenants;
mod watch;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Tenantry: run a fleet of tenants across Kubernetes clusters.
#[derive(Parser)]
#[command(name = "tenantry", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the clusters of the kubeconfig with their reachability and Kubernetes version.
    Clusters(clusters::Args),
    /// List the tenants of every cluster, live from the clusters: health, version, domains.
    Tenants(tenants::Args),
    /// Show one tenant in detail (`CLUSTER/ID`): summary and pods, live from its cluster.
    Tenant(tenant::Args),
    /// Print every tenant, then each change as it happens, until interrupted.
    Watch(watch::Args),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let _log_guard = match tenantry_core::logging::init(&tenantry_core::paths::log_dir()) {
        Ok(guard) => Some(guard),
        Err(err) => {
            eprintln!("warning: logging to file is off: {}", tenantry_core::error::chain(&err));
            None
        }
    };
    match cli.command {
        Command::Clusters(args) => clusters::run(args).await,
        Command::Tenant(args) => tenant::run(args).await,
        Command::Tenants(args) => tenants::run(args).await,
        Command::Watch(args) => watch::run(args).await,
    }
}
