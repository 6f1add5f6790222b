//! `tenantry clusters`: the kubeconfig's clusters, probed concurrently, as a table or JSON.

use std::process::ExitCode;
use std::time::Duration;

use futures::StreamExt as _;
use tenantry_core::cluster::ClusterList;
use tenantry_core::kubeconfig::Sources;
use tenantry_model::{ClusterRow, KubeconfigSummary, Probe};

/// Options of `tenantry clusters`.
#[derive(clap::Args)]
pub struct Args {
    /// Print JSON (`{"kubeconfig": …, "clusters": […]}`) instead of a table.
    #[arg(long)]
    json: bool,
    /// Seconds each probe may take before its cluster counts as unreachable.
    #[arg(long, default_value_t = 5)]
    timeout: u64,
    /// Read this kubeconfig file only, like `kubectl --kubeconfig`.
    #[arg(long)]
    kubeconfig: Option<std::path::PathBuf>,
}

#[derive(serde::Serialize)]
struct Report {
    kubeconfig: KubeconfigSummary,
    clusters: Vec<ClusterRow>,
}

/// Exit codes: 0 every cluster reachable, 1 some cluster not, 2 the kubeconfig cannot be loaded.
pub async fn run(args: Args) -> ExitCode {
    let sources = args.kubeconfig.map_or_else(Sources::from_env, Sources::Explicit);
    let list = ClusterList::load_with_added(&sources);
    let mut rows = list.rows();
    let mut probes = list.probe_all(Duration::from_secs(args.timeout));
    while let Some((context, probe)) = probes.next().await {
        if let Some(row) = rows.iter_mut().find(|row| row.context == context) {
            row.probe = probe;
        }
    }
    let report = Report { kubeconfig: list.summary, clusters: rows };
    if args.json {
        crate::output::json(&report, true);
    } else {
        print_table(&report);
    }
    if report.kubeconfig.error.is_some() {
        ExitCode::from(2)
    } else if report.clusters.iter().all(|row| matches!(row.probe, Probe::Reachable { .. })) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn print_table(report: &Report) {
    if let Some(error) = &report.kubeconfig.error {
        crate::output::error("error", error);
        return;
    }
    if report.clusters.is_empty() {
        println!("No contexts in the kubeconfig ({}).", report.kubeconfig.files.join(", "));
        return;
    }
    let rows: Vec<[String; 6]> = report.clusters.iter().map(row_cells).collect();
    crate::output::table(["CONTEXT", "SERVER", "STATE", "VERSION", "LATENCY", "IDENTITY"], &rows);
    for row in &report.clusters {
        if let Probe::Failed { error } = &row.probe {
            crate::output::error(&row.context, error);
        }
    }
}

fn row_cells(row: &ClusterRow) -> [String; 6] {
    let context = if row.current { format!("* {}", row.context) } else { format!("  {}", row.context) };
    let server = row.server.clone().unwrap_or_else(|| "-".into());
    match &row.probe {
        Probe::Probing => [context, server, "probing".into(), "-".into(), "-".into(), "-".into()],
        Probe::Reachable { version, identity, latency_ms } => [
            context,
            server,
            "reachable".into(),
            version.clone(),
            format!("{latency_ms} ms"),
            identity.clone().unwrap_or_else(|| "-".into()),
        ],
        Probe::Failed { error } => {
            let state = serde_json::to_value(error.kind).ok().and_then(|v| v.as_str().map(str::to_owned));
            [context, server, state.unwrap_or_default(), "-".into(), "-".into(), "-".into()]
        }
    }
}
