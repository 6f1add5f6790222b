//! `tenantry watch`: every tenant, then each change and each cluster's connection change as it
//! happens.

use std::process::ExitCode;

use futures::StreamExt as _;
use tenantry_core::fleet::Fleet;
use tenantry_model::{ClusterStatus, FleetEvent, TenantSummary};

use crate::selection::Selection;

/// Options of `tenantry watch`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    selection: Selection,
    /// Print each event as one JSON line (`{"event": "snapshot" | "changes" | "cluster", …}`).
    #[arg(long)]
    json: bool,
    /// Also show desktop notifications — a tenant turned Down or Degraded, one recovered, a
    /// cluster gone or back — under the settings the app keeps (`notifications.json`).
    #[arg(long)]
    notify: bool,
    /// Seconds a change must hold before it is notified (a shorter flicker is not).
    #[arg(long, default_value_t = tenantry_core::notifications::DEFAULT_HOLD.as_secs(), requires = "notify")]
    hold: u64,
}

/// Prints every known tenant (cached until its cluster syncs), then each change, until
/// interrupted; with `--notify` also tells the desktop. Exit code 2 when there is no kubeconfig or no such cluster.
pub async fn run(args: Args) -> ExitCode {
    let clusters = match args.selection.contexts() {
        Ok(clusters) => clusters,
        Err(code) => return code,
    };
    let fleet =
        Fleet::start(clusters, Some(&tenantry_core::paths::cache_file()), crate::selection::fleet_settings()).await;
    let telling = args.notify.then(|| {
        let settings = tenantry_core::notifications::load(&tenantry_core::paths::notifications_file());
        let (_, settings) = tokio::sync::watch::channel(settings);
        let hold = std::time::Duration::from_secs(args.hold);
        tokio::spawn(tenantry_core::notifications::tell(fleet.subscribe(), settings, hold))
    });
    let mut events = std::pin::pin!(fleet.subscribe());
    loop {
        tokio::select! {
            event = events.next() => match event {
                Some(event) if args.json => crate::output::json(&event, false),
                Some(FleetEvent::Snapshot { clusters, tenants, notice, .. }) => {
                    if let Some(notice) = notice {
                        eprintln!("note: {}", notice.message);
                    }
                    clusters.iter().for_each(print_cluster);
                    tenants.iter().for_each(|row| print_tenant(row));
                }
                Some(FleetEvent::Changes(batch)) => {
                    batch.upserted.iter().for_each(|row| print_tenant(row));
                    for (cluster, id) in &batch.removed {
                        println!("{cluster}/{id}  removed");
                    }
                }
                Some(FleetEvent::Cluster(status)) => print_cluster(&status),
                None => break,
            },
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    if let Some(telling) = telling {
        telling.abort();
    }
    fleet.shutdown().await;
    ExitCode::SUCCESS
}

fn print_tenant(tenant: &TenantSummary) {
    println!(
        "{}/{}  {}  {}/{}  {}  [{}]",
        tenant.cluster,
        tenant.id,
        crate::output::health(tenant.health),
        tenant.ready,
        tenant.desired,
        tenant.reason,
        crate::output::freshness(&tenant.freshness)
    );
}

fn print_cluster(status: &ClusterStatus) {
    let state = serde_json::to_value(status.state).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    let error = match (&status.last_error, status.state) {
        (Some(error), state) if state != tenantry_model::ConnectionState::Live => format!(": {}", error.message),
        _ => String::new(),
    };
    eprintln!("{} is {state}{error}", status.context);
}
