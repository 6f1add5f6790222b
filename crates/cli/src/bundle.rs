//! `tenantry bundle CLUSTER/ID`: one archive for an engineer — summary, spec and history, every
//! object of the namespace (no Secret values), events, the last lines of every container's log,
//! the timeline, health history and audit entries.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use tenantry_core::fleet::Fleet;

/// Options of `tenantry bundle`.
#[derive(clap::Args)]
pub struct Args {
    /// The tenant as `CLUSTER/ID`, e.g. `eu-west/alder-books`.
    target: String,
    /// The folder to write it into (default: Tenantry's exports folder).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the report as JSON (`{"path", "files", "unreadable"}`).
    #[arg(long)]
    json: bool,
    /// Seconds the cluster may take to list its tenants.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Read this kubeconfig file only, like `kubectl --kubeconfig`.
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
}

/// Exit codes: 0 written, 1 the tenant is unknown or the file cannot be written, 2 bad input.
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
