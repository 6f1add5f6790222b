//! The `tenantry` binary as a user starts it: a live listing (which fills the cache, and whose
//! peak RSS is the backend's), then the cached inventory read at process start.

use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::resource::{UsageWho, getrusage};

use crate::BenchError;

/// What the runs of `tenantry tenants` measured.
pub struct CliRuns {
    /// Wall time of each live `tenantry tenants --json` (every cluster synced, rows printed).
    pub live: Vec<Duration>,
    /// Wall time of each `tenantry tenants --offline --json` (cache read, rows printed).
    pub cached: Vec<Duration>,
    /// The highest peak resident set size of the live runs, in KiB.
    pub peak_rss_kib: i64,
}

/// Runs the live listing `runs` times, then the cached one `runs` times, with the data folder
/// `data_dir`; every run must print `tenants` rows. Call it before any other child process is
/// waited for: the peak RSS is read from the children's resource usage.
pub fn run(
    tenantry: &Path,
    kubeconfig: &Path,
    data_dir: &Path,
    runs: usize,
    tenants: usize,
) -> Result<CliRuns, BenchError> {
    let mut live = Vec::new();
    for _ in 0..runs {
        live.push(tenants_command(tenantry, kubeconfig, data_dir, &[], tenants)?);
    }
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).map_err(|e| BenchError::Failed(format!("getrusage: {e}")))?;
    let mut cached = Vec::new();
    for _ in 0..runs {
        cached.push(tenants_command(tenantry, kubeconfig, data_dir, &["--offline"], tenants)?);
    }
    Ok(CliRuns { live, cached, peak_rss_kib: usage.max_rss() })
}

/// Runs `tenantry tenants --json EXTRA…` and times it from spawn to exit; it must succeed
/// with `tenants` rows.
fn tenants_command(
    tenantry: &Path,
    kubeconfig: &Path,
    data_dir: &Path,
    extra: &[&str],
    tenants: usize,
) -> Result<Duration, BenchError> {
    let started = Instant::now();
    let output = std::process::Command::new(tenantry)
        .args(["tenants", "--json", "--timeout", "120", "--kubeconfig"])
        .arg(kubeconfig)
        .args(extra)
        .env(tenantry_core::paths::DATA_DIR_VAR, data_dir)
        .output()
        .map_err(|source| BenchError::Process { what: tenantry.display().to_string(), source })?;
    let elapsed = started.elapsed();
    let failed = |why: String| BenchError::Failed(format!("tenantry tenants {extra:?}: {why}"));
    if !output.status.success() {
        return Err(failed(format!("{}: {}", output.status, String::from_utf8_lossy(&output.stderr))));
    }
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|e| failed(format!("unreadable JSON: {e}")))?;
    let rows = report["tenants"].as_array().map_or(0, Vec::len);
    if rows != tenants {
        return Err(failed(format!("{rows} rows, the clusters hold {tenants} tenants")));
    }
    Ok(elapsed)
}
