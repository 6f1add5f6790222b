//! `tenantry add-cluster` and `remove-cluster`: clusters reached by address and token instead of
//! a kubeconfig. The token is read from standard input (or typed without echo) and kept in the
//! OS keyring, never on the command line, in a file or in the log.

use std::io::{IsTerminal as _, Read as _};
use std::process::ExitCode;
use std::time::Duration;

use tenantry_core::added_clusters::{self, AddClusterError};
use tenantry_core::cluster::ClusterList;
use tenantry_core::kubeconfig::Sources;
use tenantry_core::secrets::Keyring;
use tenantry_model::NewCluster;

/// Options of `tenantry add-cluster`.
#[derive(clap::Args)]
pub struct AddArgs {
    /// The name to list the cluster under (lower-case letters, digits and '-').
    name: String,
    /// The API server's https:// URL.
    #[arg(long)]
    server: String,
    /// A PEM file with the cluster's certificate authority; without it the system's roots are trusted.
    #[arg(long, value_name = "FILE")]
    certificate_authority: Option<std::path::PathBuf>,
    /// Seconds the connection check may take.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// The kubeconfig whose context names the new name may not take, like `kubectl --kubeconfig`.
    #[arg(long)]
    kubeconfig: Option<std::path::PathBuf>,
}

/// Options of `tenantry remove-cluster`.
#[derive(clap::Args)]
pub struct RemoveArgs {
    /// The added cluster to remove (its token leaves the keyring).
    name: String,
}

/// Exit codes: 0 added, 1 the cluster could not be verified or stored, 2 the input was refused.
pub async fn add(args: AddArgs) -> ExitCode {
    let certificate_authority = match &args.certificate_authority {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(pem) => pem,
            Err(err) => {
                eprintln!("error: cannot read {}: {err}", path.display());
                return ExitCode::from(2);
            }
        },
        None => String::new(),
    };
    let token = match read_token() {
        Ok(token) => token,
        Err(err) => {
            eprintln!("error: cannot read the token: {err}");
            return ExitCode::from(2);
        }
    };
    let sources = args.kubeconfig.map_or_else(Sources::from_env, Sources::Explicit);
    let taken = ClusterList::load_with_added(&sources).names();
    let request = NewCluster { name: args.name, server: args.server, certificate_authority, token };
    let keyring = Keyring::system();
    let path = tenantry_core::paths::added_clusters_file();
    match added_clusters::add(request, &taken, keyring, &path, Duration::from_secs(args.timeout)).await {
        Ok(report) => {
            let identity = report.identity.as_deref().unwrap_or("an unnamed identity");
            println!(
                "Added {} ({}, Kubernetes {}) as {identity}; its token is in the {}.",
                report.name, report.server, report.version, report.keyring
            );
            ExitCode::SUCCESS
        }
        Err(err) => failed(&err),
    }
}

/// Exit codes: 0 removed, 1 the keyring or the list could not be changed, 2 no such added cluster.
pub fn remove(args: RemoveArgs) -> ExitCode {
    match added_clusters::remove(&args.name, Keyring::system(), &tenantry_core::paths::added_clusters_file()) {
        Ok(()) => {
            println!("Removed {}; its token is gone from the keyring.", args.name);
            ExitCode::SUCCESS
        }
        Err(err) => failed(&err),
    }
}

fn failed(err: &AddClusterError) -> ExitCode {
    let shown = err.to_ui();
    crate::output::error("error", &shown);
    match err {
        AddClusterError::Invalid { .. } | AddClusterError::Taken { .. } | AddClusterError::Unknown { .. } => {
            ExitCode::from(2)
        }
        _ => ExitCode::from(1),
    }
}

/// The token: typed without echo at a terminal, else all of standard input.
fn read_token() -> std::io::Result<String> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password("Token: ");
    }
    let mut token = String::new();
    std::io::stdin().read_to_string(&mut token)?;
    Ok(token)
}
