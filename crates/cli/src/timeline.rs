//! `tenantry timeline CLUSTER/ID`: everything known of a tenant in time order — spec revisions
//! with who and why, actions (this machine's and colleagues'), hand edits, health changes,
//! warnings, restarts, backups; from its cluster while it answers, else from the cache.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use tenantry_core::fleet::Fleet;
use tenantry_model::Timeline;

use crate::output::ago;

/// Options of `tenantry timeline`.
#[derive(clap::Args)]
pub struct Args {
    /// The tenant as `CLUSTER/ID`, e.g. `eu-west/alder-books`.
    target: String,
    /// Print JSON (`{"entries": [{"at", "kind", "title", "detail", "by"}], "live", "notes"}`).
    #[arg(long)]
    json: bool,
    /// Seconds the cluster may take to list its tenants.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Read this kubeconfig file only, like `kubectl --kubeconfig`.
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
}

/// Exit codes: 0 shown, 1 neither the cluster nor the cache knows the tenant, 2 bad input.
pub async fn run(args: Args) -> ExitCode {
    let target = match crate::selection::target(&args.target, args.kubeconfig.as_deref()) {
        Ok(target) => target,
        Err(code) => return code,
    };
    let (cluster, id) = (target.entry.name.clone(), target.id.clone());
    let fleet =
        Fleet::start(vec![target.entry], Some(&tenantry_core::paths::cache_file()), crate::selection::fleet_settings())
            .await;
    fleet.settled(Duration::from_secs(args.timeout)).await;
    let timeline = fleet.timeline(&cluster, &id).await;
    fleet.shutdown().await;
    let Some(timeline) = timeline else {
        eprintln!("error: cluster {cluster} has no tenant {id}");
        return ExitCode::from(1);
    };
    if !timeline.live {
        eprintln!("note: {cluster} is not live; showing what the cache remembers.");
    }
    if args.json {
        crate::output::json(&timeline, true);
    } else {
        print(&timeline);
    }
    ExitCode::SUCCESS
}

fn print(timeline: &Timeline) {
    if timeline.entries.is_empty() {
        println!("Nothing is known of this tenant yet.");
    }
    for entry in &timeline.entries {
        let by = if entry.by.is_empty() { String::new() } else { format!("  by {}", entry.by) };
        println!("{}  ({})  {:<9} {}{by}", entry.at, ago(&entry.at), entry.kind.name(), entry.title);
        if !entry.detail.is_empty() {
            println!("{:>34}{}", "", entry.detail);
        }
    }
    for note in &timeline.notes {
        eprintln!("note: {note}");
    }
}
