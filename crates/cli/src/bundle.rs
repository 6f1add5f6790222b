//! `tenantry bundle CLUSTER/ID`: one archive for an engineer — summary, spec and history, every
//! object of the namespace (no Secret values), events, the last lines of every container's log,
//! the timeline, health history and audit entries.

use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `tenantry bundle`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    tenant: crate::selection::OneTenant,
    /// The folder to write it into (default: Tenantry's exports folder).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the report as JSON (`{"path", "files", "unreadable"}`).
    #[arg(long)]
    json: bool,
}

/// Exit codes: 0 written, 1 the tenant is unknown or the file cannot be written, 2 bad input.
pub async fn run(args: Args) -> ExitCode {
    let crate::selection::Watching { fleet, cluster, id } = match args.tenant.watch(true).await {
        Ok(watching) => watching,
        Err(code) => return code,
    };
    let folder = args.out.clone().unwrap_or_else(tenantry_core::paths::exports_dir);
    let written = fleet.bundle(&cluster, &id, &folder).await;
    fleet.shutdown().await;
    match written {
        Ok(report) => {
            if args.json {
                crate::output::json(&report, true);
            } else {
                println!("{}", report.path);
                eprintln!("{} files", report.files.len());
                for what in &report.unreadable {
                    eprintln!("not included: {what}");
                }
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {}", tenantry_core::error::chain(&err));
            ExitCode::from(1)
        }
    }
}
