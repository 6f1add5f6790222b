//! `tenantry tenants`: the tenant inventory of every cluster, filtered, as a table or JSON:
//! live where a cluster answers, otherwise (and with `--offline`) as last cached.

use std::collections::BTreeMap;
use std::process::ExitCode;

use tenantry_core::cache::Cache;
use tenantry_core::fleet::Fleet;
use tenantry_model::{ConnectionState, ErrorKind, Health, TenantSummary, UiError};

use crate::selection::Selection;

/// Options of `tenantry tenants`.
#[derive(clap::Args)]
pub struct Args {
    /// Show only tenants whose id, customer, name or domain contains this text (any case).
    search: Option<String>,
    #[command(flatten)]
    selection: Selection,
    /// Only tenants in this health.
    #[arg(long, value_parser = parse_health)]
    health: Option<Health>,
    /// Read only the local cache; contact no cluster.
    #[arg(long)]
    offline: bool,
    /// Print JSON (`{"tenants": […], "errors": {context: error}}`) instead of a table.
    #[arg(long)]
    json: bool,
}

/// A health named on the command line.
pub fn parse_health(text: &str) -> Result<Health, String> {
    serde_json::from_value(serde_json::Value::String(text.to_lowercase()))
        .map_err(|_| "expected healthy, suspended, progressing, degraded, down or unknown".to_owned())
}

#[derive(serde::Serialize)]
struct Report {
    tenants: Vec<TenantSummary>,
    errors: BTreeMap<String, UiError>,
}

/// Exit codes: 0 every cluster listed live (or the cache read with `--offline`), 1 some cluster
/// could not be (its cached rows are shown), 2 no kubeconfig, no such cluster or no cache.
pub async fn run(args: Args) -> ExitCode {
    let report = if args.offline { offline(&args).await } else { live(&args).await };
    let mut report = match report {
        Ok(report) => report,
        Err(code) => return code,
    };
    let needle = args.search.as_deref().map(str::to_lowercase);
    report.tenants.retain(|t| {
        args.health.is_none_or(|h| t.health == h) && needle.as_deref().is_none_or(|needle| t.matches(needle))
    });
    if args.json {
        crate::output::json(&report, true);
    } else {
        print_table(&report);
    }
    if report.errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

async fn live(args: &Args) -> Result<Report, ExitCode> {
    let clusters = args.selection.contexts()?;
    let names: Vec<String> = clusters.iter().map(|c| c.name.clone()).collect();
    let fleet =
        Fleet::start(clusters, Some(&tenantry_core::paths::cache_file()), crate::selection::fleet_settings()).await;
    fleet.settled(args.selection.timeout()).await;
    let mut errors = BTreeMap::new();
    for status in fleet.clusters().into_iter().filter(|c| names.contains(&c.context)) {
        if status.state != ConnectionState::Live {
            let error = status.last_error.clone().unwrap_or_else(|| UiError {
                kind: ErrorKind::Unreachable,
                message: format!(
                    "The cluster did not list its tenants within {} s.",
                    args.selection.timeout().as_secs()
                ),
                detail: String::new(),
            });
            errors.insert(status.context, error);
        }
    }
    if let Some(notice) = fleet.notice() {
        eprintln!("note: {}", notice.message);
    }
    let tenants = fleet.tenants().into_iter().filter(|t| names.contains(&t.cluster)).collect();
    fleet.shutdown().await;
    Ok(Report { tenants, errors })
}

async fn offline(args: &Args) -> Result<Report, ExitCode> {
    let path = tenantry_core::paths::cache_file();
    if !path.exists() {
        eprintln!(
            "error: there is no cache yet at {}; run `tenantry tenants` once with the clusters reachable",
            path.display()
        );
        return Err(ExitCode::from(2));
    }
    let opened = Cache::open(&path).await.map_err(|err| {
        eprintln!("error: the cache cannot be read: {}", tenantry_core::error::chain(&err));
        ExitCode::from(2)
    })?;
    if let Some(notice) = opened.notice {
        eprintln!("note: {}", notice.message);
    }
    let tenants = opened.cache.tenants().await.map_err(|err| {
        eprintln!("error: the cache cannot be read: {}", tenantry_core::error::chain(&err));
        ExitCode::from(2)
    })?;
    opened.cache.close().await;
    let takes = args.selection.takes();
    let tenants = tenants.into_iter().filter(|t| takes(&t.cluster)).collect();
    Ok(Report { tenants, errors: BTreeMap::new() })
}

fn print_table(report: &Report) {
    let rows: Vec<[String; 9]> = report
        .tenants
        .iter()
        .map(|t| {
            [
                t.cluster.clone(),
                t.id.clone(),
                t.customer.clone(),
                t.domains.first().cloned().unwrap_or_else(|| "-".into()),
                t.version.clone(),
                crate::output::health(t.health),
                format!("{}/{}", t.ready, t.desired),
                crate::output::freshness(&t.freshness),
                t.reason.clone(),
            ]
        })
        .collect();
    if rows.is_empty() {
        println!("No tenants match.");
    } else {
        crate::output::table(
            ["CLUSTER", "TENANT", "CUSTOMER", "DOMAIN", "VERSION", "HEALTH", "READY", "SEEN", "REASON"],
            &rows,
        );
    }
    for (context, error) in &report.errors {
        crate::output::error(context, error);
    }
}
