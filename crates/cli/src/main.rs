//! `tenantry`: the command line over Tenantry's core, for scripting, CI and benchmarks.

mod action;
mod added;
mod bundle;
mod clusters;
mod drift;
mod logs;
mod output;
mod records;
mod rollout;
mod selection;
mod tenant;
mod tenants;
mod timeline;
mod watch;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tenantry_model::Change;

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
    /// Add a cluster by server URL and token (read from stdin; kept in the OS keyring).
    AddCluster(added::AddArgs),
    /// Remove a cluster added with add-cluster, and its token from the keyring.
    RemoveCluster(added::RemoveArgs),
    /// List the tenants of every cluster, live from the clusters: health, version, domains.
    Tenants(tenants::Args),
    /// Show one tenant in detail (`CLUSTER/ID`): summary and pods, live from its cluster.
    Tenant(tenant::Args),
    /// Write one archive about a tenant (`CLUSTER/ID`) for an engineer: spec, objects, events,
    /// logs, timeline, audit — no secret values.
    Bundle(bundle::Args),
    /// Show where a tenant's live objects differ from its spec; `--sync` or `--accept` it.
    Drift(drift::Args),
    /// Print a tenant's pod logs (`CLUSTER/ID`), merged in time order; `--follow` for live.
    Logs(logs::Args),
    /// Show everything known of a tenant (`CLUSTER/ID`) in time order: revisions, actions,
    /// hand edits, health, warnings, restarts, backups.
    Timeline(timeline::Args),
    /// Print every tenant, then each change as it happens, until interrupted.
    Watch(watch::Args),
    /// Create a tenant from a blueprint (preview, confirm, apply, wait until it runs).
    Create(action::CreateArgs),
    /// Make a tenant Tenantry did not create a Tenantry tenant, with or without a blueprint.
    Adopt(action::AdoptArgs),
    /// Change a tenant's version, plan, domains or config.
    Update(action::UpdateArgs),
    /// Set a tenant's pods, or its autoscaling bounds.
    Scale(action::ScaleArgs),
    /// Replace a tenant's pods one by one (all its workloads', or one's).
    Restart(action::RestartArgs),
    /// Scale a tenant to zero, remembering its size.
    Suspend(action::Common),
    /// Bring a suspended tenant back to its size.
    Resume(action::Common),
    /// Go back to the spec of an earlier revision (a new revision, like a revert).
    Rollback(action::RollbackArgs),
    /// Create a deleted tenant again from the spec the local cache remembers.
    Recreate(action::Common),
    /// Take a backup now and wait until it completes.
    Backup(action::BackupArgs),
    /// Restore a tenant's data from a backup (suspend, restore Job, resume, verify).
    Restore(action::RestoreArgs),
    /// Delete a tenant's namespace and everything in it (its spec stays in the cache).
    Delete(action::DeleteArgs),
    /// Change many tenants at once, in waves with a health gate; list, show, pause, abort,
    /// continue and roll back rollouts.
    Rollout(rollout::Args),
    /// Show the audit log: who did what to which tenant, and how it went.
    Audit(records::AuditArgs),
    /// List unfinished actions; resume or roll one back.
    Journal(records::JournalArgs),
}

/// jemalloc instead of glibc's malloc: the listings are decoded on many threads at once, and
/// glibc's per-thread arenas held half as much again as the heap in use (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
        Command::AddCluster(args) => added::add(args).await,
        Command::RemoveCluster(args) => added::remove(args),
        Command::Tenant(args) => tenant::run(args).await,
        Command::Tenants(args) => tenants::run(args).await,
        Command::Bundle(args) => bundle::run(args).await,
        Command::Drift(args) => drift::run(args).await,
        Command::Logs(args) => logs::run(args).await,
        Command::Timeline(args) => timeline::run(args).await,
        Command::Watch(args) => watch::run(args).await,
        Command::Create(args) => action::create(args).await,
        Command::Adopt(args) => action::adopt(args).await,
        Command::Update(args) => action::update(args).await,
        Command::Scale(args) => action::scale(args).await,
        Command::Restart(args) => action::restart(args).await,
        Command::Suspend(common) => action::simple(common, Change::Suspend).await,
        Command::Resume(common) => action::simple(common, Change::Resume).await,
        Command::Rollback(args) => action::rollback(args).await,
        Command::Recreate(common) => action::recreate(common).await,
        Command::Backup(args) => action::backup(args).await,
        Command::Restore(args) => action::restore(args).await,
        Command::Delete(args) => action::delete(args).await,
        Command::Rollout(args) => rollout::run(args).await,
        Command::Audit(args) => records::audit(args).await,
        Command::Journal(args) => records::journal(args).await,
    }
}
