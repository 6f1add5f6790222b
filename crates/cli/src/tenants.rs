//! `tenantry tenants`: the live tenant inventory of every cluster, filtered, as a table or JSON.

use std::process::ExitCode;
use std::time::Duration;

use tenantry_core::inventory::ClusterInventory;
use tenantry_core::kubeconfig::ContextEntry;
use tenantry_model::{Health, TenantSummary, UiError};

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
    /// Print JSON (`{"tenants": […], "errors": {context: error}}`) instead of a table.
    #[arg(long)]
    json: bool,
}

fn parse_health(text: &str) -> Result<Health, String> {
    serde_json::from_value(serde_json::Value::String(text.to_lowercase()))
        .map_err(|_| "expected healthy, suspended, progressing, degraded, down or unknown".to_owned())
}

#[derive(serde::Serialize)]
struct Report {
    tenants: Vec<TenantSummary>,
    errors: std::collections::BTreeMap<String, UiError>,
}

/// Exit codes: 0 every cluster listed, 1 some cluster could not be, 2 no kubeconfig or no such cluster.
pub async fn run(args: Args) -> ExitCode {
    let clusters = match args.selection.contexts() {
        Ok(clusters) => clusters,
        Err(code) => return code,
    };
    let timeout = args.selection.timeout();
    let listings = futures::future::join_all(clusters.iter().map(|entry| list_tenants(entry, timeout))).await;
    let mut report = Report { tenants: Vec::new(), errors: Default::default() };
    for (context, listing) in listings {
        match listing {
            Ok(tenants) => report.tenants.extend(tenants),
            Err(error) => {
                report.errors.insert(context, error);
            }
        }
    }
    let needle = args.search.as_deref().map(str::to_lowercase);
    report.tenants.retain(|t| {
        args.health.is_none_or(|h| t.health == h) && needle.as_deref().is_none_or(|needle| matches(t, needle))
    });
    if args.json {
        crate::output::json(&report, true);
    } else {
        print_table(&report);
    }
    if report.errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

async fn list_tenants(entry: &ContextEntry, timeout: Duration) -> (String, Result<Vec<TenantSummary>, UiError>) {
    let outcome = ClusterInventory::start_synced(entry, timeout)
        .await
        .map(|inventory| inventory.summaries())
        .map_err(|err| tenantry_core::error::inventory_error_for_ui(&err));
    (entry.name.clone(), outcome)
}

fn matches(tenant: &TenantSummary, needle: &str) -> bool {
    [&tenant.id, &tenant.customer, &tenant.display_name]
        .into_iter()
        .chain(&tenant.domains)
        .any(|field| field.to_lowercase().contains(needle))
}

fn print_table(report: &Report) {
    let rows: Vec<[String; 8]> = report
        .tenants
        .iter()
        .map(|t| {
            let health = serde_json::to_value(t.health).ok().and_then(|v| v.as_str().map(str::to_owned));
            [
                t.cluster.clone(),
                t.id.clone(),
                t.customer.clone(),
                t.domains.first().cloned().unwrap_or_else(|| "-".into()),
                t.version.clone(),
                health.unwrap_or_default(),
                format!("{}/{}", t.ready, t.desired),
                t.reason.clone(),
            ]
        })
        .collect();
    if rows.is_empty() {
        println!("No tenants match.");
    } else {
        crate::output::table(
            ["CLUSTER", "TENANT", "CUSTOMER", "DOMAIN", "VERSION", "HEALTH", "READY", "REASON"],
            &rows,
        );
    }
    for (context, error) in &report.errors {
        eprintln!("{context}: {}\n  {}", error.message, error.detail);
    }
}
