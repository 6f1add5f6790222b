//! `tenantry watch`: tenant changes across clusters, printed as they happen.

use std::process::ExitCode;
use std::time::Duration;

use futures::StreamExt as _;
use tenantry_core::cluster::ClusterList;
use tenantry_core::inventory;
use tenantry_core::kubeconfig::Sources;
use tenantry_model::{FleetEvent, TenantChanges};

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

/// Prints every tenant once, then each change, until interrupted. Exit code 2 when there is no
/// kubeconfig or no such cluster; clusters that cannot be watched are reported on stderr.
pub async fn run(args: Args) -> ExitCode {
    let sources = args.kubeconfig.clone().map_or_else(Sources::from_env, Sources::Explicit);
    let list = ClusterList::load(&sources);
    if let Some(error) = &list.summary.error {
        eprintln!("error: {}\n  {}", error.message, error.detail);
        return ExitCode::from(2);
    }
    let clusters: Vec<_> = list.watched(args.cluster.as_deref()).into_iter().cloned().collect();
    if clusters.is_empty() {
        eprintln!("error: no usable cluster{}", args.cluster.map(|c| format!(" named {c}")).unwrap_or_default());
        return ExitCode::from(2);
    }
    let mut events = inventory::fleet_events(clusters, Duration::from_secs(args.timeout), BATCH).boxed();
    loop {
        tokio::select! {
            event = events.next() => match event {
                Some(FleetEvent::Changes(batch)) => print_batch(&batch, args.json),
                Some(FleetEvent::ClusterFailed { context, error }) => eprintln!("{context}: {}\n  {}", error.message, error.detail),
                Some(FleetEvent::Watching { contexts }) => eprintln!("watching {}", contexts.join(", ")),
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
