//! `tenantry timeline CLUSTER/ID`: everything known of a tenant in time order — spec revisions
//! with who and why, actions (this machine's and colleagues'), hand edits, health changes,
//! warnings, restarts, backups; from its cluster while it answers, else from the cache.

use std::process::ExitCode;

use tenantry_model::Timeline;

use crate::output::ago;

/// Options of `tenantry timeline`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    tenant: crate::selection::OneTenant,
    /// Print JSON (`{"entries": [{"at", "kind", "title", "detail", "by"}], "live", "notes"}`).
    #[arg(long)]
    json: bool,
}

/// Exit codes: 0 shown, 1 neither the cluster nor the cache knows the tenant, 2 bad input.
pub async fn run(args: Args) -> ExitCode {
    let crate::selection::Watching { fleet, cluster, id } = match args.tenant.watch(true).await {
        Ok(watching) => watching,
        Err(code) => return code,
    };
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
