//! `tenantry clusters`: the kubeconfig's clusters, probed concurrently, as a table or JSON.

use std::process::ExitCode;
use std::time::Duration;

use futures::StreamExt as _;
use tenantry_core::cluster::ClusterList;
use tenantry_core::kubeconfig::Sources;
use tenantry_model::{ClusterRow, Credential, CredentialState, KubeconfigSummary, Probe};

/// Options of `tenantry clusters`.
#[derive(clap::Args)]
pub struct Args {
    /// Print JSON (`{"kubeconfig": …, "clusters": […]}`) instead of a table.
    #[arg(long)]
    json: bool,
    /// Seconds each probe may take before its cluster counts as unreachable.
    #[arg(long, default_value_t = 5)]
    timeout: u64,
    /// Watch this context from now on (repeatable); it becomes the one its API server is
    /// watched through. Remembered for the app and every command.
    #[arg(long, value_name = "CONTEXT")]
    watch: Vec<String>,
    /// Stop watching this context (repeatable).
    #[arg(long, value_name = "CONTEXT")]
    unwatch: Vec<String>,
    /// Probe every context, also those the fleet does not watch (which are otherwise listed
    /// unchecked: no connection, no credential plugin).
    #[arg(long)]
    all: bool,
    /// Read this kubeconfig file only, like `kubectl --kubeconfig`.
    #[arg(long)]
    kubeconfig: Option<std::path::PathBuf>,
}

#[derive(serde::Serialize)]
struct Report {
    kubeconfig: KubeconfigSummary,
    clusters: Vec<ClusterRow>,
}

/// Exit codes: 0 every cluster probed reachable, 1 some cluster not, 2 the kubeconfig cannot be loaded.
pub async fn run(args: Args) -> ExitCode {
    let sources = args.kubeconfig.map_or_else(Sources::from_env, Sources::Explicit);
    let mut list = ClusterList::load_with_added(&sources);
    if (!args.watch.is_empty() || !args.unwatch.is_empty())
        && let Err(message) = choose(&mut list, &args.watch, &args.unwatch)
    {
        eprintln!("error: {message}");
        return ExitCode::from(2);
    }
    let mut rows = list.rows();
    let timeout = Duration::from_secs(args.timeout);
    let mut probes = list.probe_where(|entry| args.all || list.chosen(entry), timeout);
    while let Some(result) = probes.next().await {
        if let Some(row) = rows.iter_mut().find(|row| row.context == result.context) {
            row.probe = result.probe;
            row.credential = result.credential;
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
    } else if report.clusters.iter().all(|row| matches!(row.probe, Probe::Reachable { .. } | Probe::Unchecked)) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Turns `watch` on and `unwatch` off, and remembers the choice; refuses a context the
/// kubeconfig does not have.
fn choose(list: &mut ClusterList, watch: &[String], unwatch: &[String]) -> Result<(), String> {
    if let Some(unknown) = watch.iter().chain(unwatch).find(|name| !list.entries.iter().any(|e| &e.name == *name)) {
        return Err(format!("there is no context \"{unknown}\" in the kubeconfig"));
    }
    list.choice.set(&list.entries, unwatch, false);
    list.choice.set(&list.entries, watch, true);
    let path = tenantry_core::paths::watched_clusters_file();
    list.choice.save(&path).map_err(|err| {
        format!("the choice could not be saved in {}: {}", path.display(), tenantry_core::error::chain(&err))
    })
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
    let rows: Vec<[String; 7]> = report.clusters.iter().map(row_cells).collect();
    crate::output::table(["CONTEXT", "SERVER", "STATE", "VERSION", "LATENCY", "IDENTITY", "CREDENTIAL"], &rows);
    for row in &report.clusters {
        if let Probe::Failed { error } = &row.probe {
            crate::output::error(&row.context, error);
        }
    }
}

fn row_cells(row: &ClusterRow) -> [String; 7] {
    let [context, server, state, version, latency, identity] = probe_cells(row);
    [context, server, state, version, latency, identity, credential_cell(&row.credential)]
}

/// The credential in a few words: its method, and its expiry or what it needs.
fn credential_cell(credential: &Credential) -> String {
    let standing = match &credential.state {
        CredentialState::Written | CredentialState::Issued => {
            credential.expires.as_ref().map(|at| format!("until {at}"))
        }
        CredentialState::NotIssued => Some("not issued yet".to_owned()),
        CredentialState::Expired => Some("expired".to_owned()),
        CredentialState::NeedsSignIn => Some("sign in needed".to_owned()),
        CredentialState::Failed { error } => Some(error.message.clone()),
    };
    standing.map_or_else(|| credential.method.clone(), |standing| format!("{} ({standing})", credential.method))
}

fn probe_cells(row: &ClusterRow) -> [String; 6] {
    let context = if row.current { format!("* {}", row.context) } else { format!("  {}", row.context) };
    let server = row.server.clone().unwrap_or_else(|| "-".into());
    match &row.probe {
        Probe::Probing => [context, server, "probing".into(), "-".into(), "-".into(), "-".into()],
        Probe::Unchecked => [context, server, "not watched".into(), "-".into(), "-".into(), "-".into()],
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
