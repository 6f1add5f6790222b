//! `tenantry watch`: tenant changes across clusters, printed as they happen.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use tenantry_core::cluster::ClusterList;
use tenantry_core::inventory::{self, ClusterInventory};
use tenantry_core::kubeconfig::Sources;
use tenantry_model::TenantChanges;

/// How long a change waits for more before its batch is printed.
const BATCH: Duration = Duration::from_millis(200);

/// Options of `tenantry watch`.
#[derive(clap::Args)]
pub struct Args {
    /// Only this cluster (context name); default: every cluster, one context per API server.
    #[arg(long)]
    cluster: Option<String>,
    /// Print each batch as one JSON line (`{"upserted": […], "removed": [[cluster, id], …]}`).
    #[arg(long)]
    json: bool,
    /// Seconds each cluster may take to list its tenants.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Read this kubeconfig file only, like `kubectl --kubeconfig`.
    #[arg(long)]
    kubeconfig: Option<std::path::PathBuf>,
}

/// Prints every tenant once, then each change, until interrupted. Exit code 2 when no cluster
/// can be watched; clusters that cannot be are reported on stderr.
pub async fn run(args: Args) -> ExitCode {
    let sources = args.kubeconfig.clone().map_or_else(Sources::from_env, Sources::Explicit);
    let list = ClusterList::load(&sources);
    if let Some(error) = &list.summary.error {
        eprintln!("error: {}\n  {}", error.message, error.detail);
        return ExitCode::from(2);
    }
    let timeout = Duration::from_secs(args.timeout);
    let starts = list
        .watched(args.cluster.as_deref())
        .into_iter()
        .map(|entry| async move { (entry.name.clone(), ClusterInventory::start_synced(entry, timeout).await) });
    let mut streams = Vec::new();
    for (context, started) in futures::future::join_all(starts).await {
        match started {
            Ok(inventory) => streams.push(inventory::changes(Arc::new(inventory), BATCH).boxed()),
            Err(err) => {
                let error = tenantry_core::error::inventory_error_for_ui(&err);
                eprintln!("{context}: {}\n  {}", error.message, error.detail);
            }
        }
    }
    if streams.is_empty() {
        eprintln!("error: no cluster can be watched");
        return ExitCode::from(2);
    }
    let mut changes = futures::stream::select_all(streams);
    loop {
        tokio::select! {
            batch = changes.next() => match batch {
                Some(batch) => print_batch(&batch, args.json),
                None => return ExitCode::SUCCESS,
            },
            _ = tokio::signal::ctrl_c() => return ExitCode::SUCCESS,
        }
    }
}

fn print_batch(batch: &TenantChanges, json: bool) {
    if json {
        match serde_json::to_string(batch) {
            Ok(line) => println!("{line}"),
            Err(err) => eprintln!("error: cannot encode a change: {err}"),
        }
        return;
    }
    for tenant in &batch.upserted {
        let health = serde_json::to_value(tenant.health).ok().and_then(|v| v.as_str().map(str::to_owned));
        println!(
            "{}/{}  {}  {}/{}  {}",
            tenant.cluster,
            tenant.id,
            health.unwrap_or_default(),
            tenant.ready,
            tenant.desired,
            tenant.reason
        );
    }
    for (cluster, id) in &batch.removed {
        println!("{cluster}/{id}  removed");
    }
}
