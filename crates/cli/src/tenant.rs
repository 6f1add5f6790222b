//! `tenantry tenant CLUSTER/ID`: one tenant in detail, live from its cluster: summary and pods.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use tenantry_core::inventory;
use tenantry_model::TenantDetail;

/// Options of `tenantry tenant`.
#[derive(clap::Args)]
pub struct Args {
    /// The tenant as `CLUSTER/ID`, e.g. `eu-west/alder-books` (CLUSTER is a context name).
    target: String,
    /// Print JSON (`{"tenant": …, "pods": […]}`) instead of text.
    #[arg(long)]
    json: bool,
    /// Seconds the cluster may take to list its tenants.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Read this kubeconfig file only, like `kubectl --kubeconfig`.
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
}

/// Exit codes: 0 shown, 1 the cluster cannot be listed or has no such tenant, 2 bad input.
pub async fn run(args: Args) -> ExitCode {
    let Some((cluster, id)) = args.target.split_once('/').filter(|(c, i)| !c.is_empty() && !i.is_empty()) else {
        eprintln!("error: name the tenant as CLUSTER/ID, e.g. eu-west/alder-books (got {:?})", args.target);
        return ExitCode::from(2);
    };
    let list = match crate::selection::load(args.kubeconfig.as_deref()) {
        Ok(list) => list,
        Err(code) => return code,
    };
    let Some(entry) = list.entries.iter().find(|e| e.name == cluster) else {
        eprintln!("error: the kubeconfig has no context named {cluster}");
        return ExitCode::from(2);
    };
    let detail = match inventory::tenant_detail(entry, id, Duration::from_secs(args.timeout)).await {
        Ok(Some(detail)) => detail,
        Ok(None) => {
            eprintln!("error: cluster {cluster} has no tenant {id}");
            return ExitCode::from(1);
        }
        Err(err) => {
            let error = tenantry_core::error::inventory_error_for_ui(&err);
            eprintln!("{cluster}: {}\n  {}", error.message, error.detail);
            return ExitCode::from(1);
        }
    };
    if args.json {
        crate::output::json(&detail, true);
    } else {
        print_detail(&detail);
    }
    ExitCode::SUCCESS
}

fn print_detail(detail: &TenantDetail) {
    let t = &detail.tenant;
    let health = serde_json::to_value(t.health).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    let fields = [
        ("Tenant", format!("{} ({})", t.id, t.display_name)),
        ("Customer", t.customer.clone()),
        ("Cluster", t.cluster.clone()),
        ("Domains", t.domains.join(", ")),
        ("Version", format!("{}   plan {}   blueprint {}   revision {}", t.version, t.plan, t.blueprint, t.revision)),
        ("Health", format!("{health}: {}", t.reason)),
        ("Pods", format!("{}/{} ready, {} restarts", t.ready, t.desired, t.restarts)),
        ("Created", t.created.clone().unwrap_or_else(|| "-".into())),
    ];
    for (label, value) in fields {
        println!("{label:<10}{value}");
    }
    if detail.pods.is_empty() {
        println!("\nNo pods.");
        return;
    }
    println!();
    let rows: Vec<[String; 6]> = detail
        .pods
        .iter()
        .map(|p| {
            [
                p.name.clone(),
                p.phase.clone(),
                if p.ready { "yes".into() } else { "no".into() },
                p.restarts.to_string(),
                p.node.clone().unwrap_or_else(|| "-".into()),
                p.created.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    crate::output::table(["POD", "PHASE", "READY", "RESTARTS", "NODE", "CREATED"], &rows);
}
