//! The `tenantry` binary as a user starts it: a live listing (which fills the cache, and whose
//! peak RSS is the backend's), then the cached inventory read at process start.
//!
//! The peak RSS is GNU time's (`/usr/bin/time -f %M`), not this process's `RUSAGE_CHILDREN`: a
//! child spawned from here shares this process's memory until it execs, and the kernel counts
//! that into the child's peak, so the benchmark's own listings showed up as the backend's.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::BenchError;

/// GNU time, which runs a program and reports its peak resident set.
const GNU_TIME: &str = "/usr/bin/time";
/// The line GNU time is asked to print last on stderr: the program's peak RSS in KiB.
const PEAK_PREFIX: &str = "tenantry-peak-rss-kib ";

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
/// `data_dir`; every run must print `tenants` rows. The
/// highest peak RSS of the live runs is kept.
pub fn run(
    tenantry: &Path,
    kubeconfig: &Path,
    data_dir: &Path,
    runs: usize,
    tenants: usize,
) -> Result<CliRuns, BenchError> {
    let (mut live, mut peak_rss_kib) = (Vec::new(), 0);
    for _ in 0..runs {
        let (elapsed, peak) = tenants_command(tenantry, kubeconfig, data_dir, &[], tenants)?;
        live.push(elapsed);
        peak_rss_kib = peak_rss_kib.max(peak);
    }
    let mut cached = Vec::new();
    for _ in 0..runs {
        cached.push(tenants_command(tenantry, kubeconfig, data_dir, &["--offline"], tenants)?.0);
    }
    Ok(CliRuns { live, cached, peak_rss_kib })
}

/// Runs `tenantry tenants --json EXTRA…` under GNU time and returns how long it took from spawn
/// to exit and its peak RSS in KiB; it must succeed with `tenants` rows.
fn tenants_command(
    tenantry: &Path,
    kubeconfig: &Path,
    data_dir: &Path,
    extra: &[&str],
    tenants: usize,
) -> Result<(Duration, i64), BenchError> {
    let started = Instant::now();
    let output = std::process::Command::new(GNU_TIME)
        .args(["-f", &format!("{PEAK_PREFIX}%M")])
        .arg(tenantry)
        .args(["tenants", "--json", "--timeout", "120", "--kubeconfig"])
        .arg(kubeconfig)
        .args(extra)
        .env(tenantry_core::paths::DATA_DIR_VAR, data_dir)
        .output()
        .map_err(|source| BenchError::Process { what: format!("{GNU_TIME} {}", tenantry.display()), source })?;
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
    let stderr = String::from_utf8_lossy(&output.stderr);
    let peak = stderr.lines().rev().find_map(|line| line.strip_prefix(PEAK_PREFIX)?.trim().parse().ok());
    let peak = peak.ok_or_else(|| failed(format!("{GNU_TIME} reported no peak RSS: {stderr}")))?;
    Ok((elapsed, peak))
}
