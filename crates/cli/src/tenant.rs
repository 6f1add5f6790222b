//! `tenantry tenant CLUSTER/ID`: one tenant in detail: summary, workloads, where its fields were
//! read from, pods, recent warning events, backups and health history; live from its cluster, or as last cached when it does not answer.

use std::process::ExitCode;

use tenantry_model::{BackupResult, TenantDetail};

use crate::output::{age, ago, freshness, health};

/// Options of `tenantry tenant`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    tenant: crate::selection::OneTenant,
    /// Print JSON (`{"tenant": …, "workloads": […], "field_sources": […], "pods": […], "events": […], "backups": […], "history": […]}`).
    #[arg(long)]
    json: bool,
}

/// Exit codes: 0 shown (live or cached), 1 neither the cluster nor the cache knows the tenant,
/// 2 bad input.
pub async fn run(args: Args) -> ExitCode {
    let crate::selection::Watching { fleet, cluster, id } = match args.tenant.watch(true).await {
        Ok(watching) => watching,
        Err(code) => return code,
    };
    let (cluster, id) = (cluster.as_str(), id.as_str());
    let detail = fleet.detail(cluster, id).await;
    let status = fleet.clusters().into_iter().find(|c| c.context == cluster);
    fleet.shutdown().await;
    let Some(detail) = detail else {
        eprintln!("error: cluster {cluster} has no tenant {id}");
        if let Some(error) = status.and_then(|s| s.last_error) {
            crate::output::error(cluster, &error);
        }
        return ExitCode::from(1);
    };
    if !detail.tenant.freshness.is_live() {
        let reason = status.and_then(|s| s.last_error).map(|e| e.message).unwrap_or_default();
        eprintln!("note: {cluster} is not live; showing the tenant {}. {reason}", freshness(&detail.tenant.freshness));
    }
    if args.json {
        crate::output::json(&detail, true);
    } else {
        print_detail(&detail);
    }
    ExitCode::SUCCESS
}

fn print_detail(detail: &TenantDetail) {
    let t = &detail.tenant;
    let last_backup = t.last_backup.as_ref().map_or_else(
        || "none".to_owned(),
        |b| format!("{} {} ({})", b.id, result(b.result), b.started.as_deref().map(ago).unwrap_or_default()),
    );
    let fields = [
        ("Tenant", format!("{} ({})", t.id, t.display_name)),
        ("Customer", t.customer.clone()),
        ("Cluster", t.cluster.clone()),
        ("Domains", t.domains.join(", ")),
        ("Version", format!("{}   plan {}   blueprint {}   revision {}", t.version, t.plan, t.blueprint, t.revision)),
        ("Health", format!("{}: {}", health(t.health), t.reason)),
        ("Pods", format!("{}/{} ready, {} restarts", t.ready, t.desired, t.restarts)),
        ("Backup", format!("{last_backup}; schedule {}", detail.backup_schedule.as_deref().unwrap_or("none"))),
        ("Created", t.created.clone().unwrap_or_else(|| "-".into())),
        ("Changed", t.last_change.clone().unwrap_or_else(|| "-".into())),
        ("Seen", freshness(&t.freshness)),
        ("GitOps", t.gitops.clone().map_or_else(|| "-".into(), |c| format!("{c} (it reverts changes made elsewhere)"))),
    ];
    for (label, value) in fields {
        println!("{label:<10}{}", crate::output::inert(&value));
    }
    section(
        "WORKLOAD",
        detail.workloads.iter().map(|w| {
            [
                format!("{}/{}{}", w.kind, w.name, if w.main { " (main)" } else { "" }),
                format!("{}/{}", w.ready, w.desired),
                w.images.join(", "),
                w.owner.clone(),
            ]
        }),
        ["WORKLOAD", "READY", "IMAGES", "MANAGED BY"],
    );
    section("FIELD", detail.field_sources.iter().map(|f| [f.field.clone(), f.source.clone()]), ["FIELD", "READ FROM"]);
    section(
        "POD",
        detail.pods.iter().map(|p| {
            [
                p.name.clone(),
                p.phase.clone(),
                if p.ready { "yes".into() } else { "no".into() },
                p.restarts.to_string(),
                p.node.clone().unwrap_or_else(|| "-".into()),
                p.created.as_deref().map(age).unwrap_or_default(),
            ]
        }),
        ["POD", "PHASE", "READY", "RESTARTS", "NODE", "AGE"],
    );
    section(
        "EVENT",
        detail.events.iter().map(|e| {
            [e.last_seen.as_deref().map(age).unwrap_or_default(), e.reason.clone(), e.object.clone(), e.message.clone()]
        }),
        ["AGO", "WARNING", "OBJECT", "MESSAGE"],
    );
    section(
        "BACKUP",
        detail.backups.iter().map(|b| {
            [
                b.id.clone(),
                result(b.result).into(),
                b.started.clone().unwrap_or_default(),
                b.finished.clone().unwrap_or_default(),
            ]
        }),
        ["BACKUP", "RESULT", "STARTED", "FINISHED"],
    );
    section(
        "HISTORY",
        detail.history.iter().map(|h| [h.at.clone(), health(h.health), h.reason.clone()]),
        ["SINCE", "HEALTH", "REASON"],
    );
}

/// Prints a blank line and a table, or "No …" when there are no rows.
fn section<const N: usize>(what: &str, rows: impl Iterator<Item = [String; N]>, header: [&str; N]) {
    let rows: Vec<[String; N]> = rows.collect();
    println!();
    if rows.is_empty() {
        println!("No {} rows.", what.to_lowercase());
    } else {
        crate::output::table(header, &rows);
    }
}

fn result(result: BackupResult) -> &'static str {
    match result {
        BackupResult::Running => "running",
        BackupResult::Succeeded => "succeeded",
        BackupResult::Failed => "failed",
    }
}
