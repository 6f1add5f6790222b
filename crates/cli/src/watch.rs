//! `tenantry watch`: tenant changes across clusters, printed as they happen.

use std::process::ExitCode;
use std::time::Duration;

use futures::StreamExt as _;
use tenantry_core::inventory;
use tenantry_model::{FleetEvent, TenantChanges};

use crate::selection::Selection;

/// How long a change waits for more before its batch is printed.
const BATCH: Duration = Duration::from_millis(200);

/// Options of `tenantry watch`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    selection: Selection,
    /// Print each batch as one JSON line (`{"upserted": […], "removed": [[cluster, id], …]}`).
    #[arg(long)]
    json: bool,
}

/// Prints every tenant once, then each change, until interrupted. Exit code 2 when there is no
/// kubeconfig or no such cluster; clusters that cannot be watched are reported on stderr.
pub async fn run(args: Args) -> ExitCode {
    let clusters = match args.selection.contexts() {
        Ok(clusters) => clusters,
        Err(code) => return code,
    };
    let mut events = inventory::fleet_events(clusters, args.selection.timeout(), BATCH).boxed();
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
        crate::output::json(batch, false);
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
