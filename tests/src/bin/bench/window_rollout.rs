//! The window during a rollout: tenants created through the core on every cluster (not timed),
//! then, in the real app window under Xvfb, all chosen, an update planned and started from the
//! window, and followed in the rollout view until it ends — while a `requestAnimationFrame` loop
//! in the page records the gap between frames, and the memory of every process of the app (the
//! backend, WebKit's web and network processes) is sampled, and the CPU each of them and the
//! whole machine spent meanwhile is counted.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use tenantry_core::kubeconfig::ContextEntry;
use tenantry_tests::window::Driver;

use crate::BenchError;
use crate::rollout::{actions_in, bench_ids, chain, create};
use crate::stats::ms;

/// Process names (as `/proc/PID/comm` truncates them to 15 characters) of the app's processes.
const PROCESSES: [(&str, &str); 3] =
    [("tenantry-app", "backend"), ("WebKitWebProces", "web process"), ("WebKitNetworkPr", "network process")];
/// Records every frame's gap in `window.__frameGaps`: `[ms since the loop started, gap ms]`.
const FRAME_LOOP: &str = "window.__frameGaps = []; const first = performance.now(); let last = first; \
    const tick = (now) => { window.__frameGaps.push([now - first, now - last]); last = now; requestAnimationFrame(tick); }; \
    requestAnimationFrame(tick);";
/// Gaps longer than this are listed with when they happened.
const LONG_GAP_MS: f64 = 100.0;

/// What the window benchmark measured.
pub struct WindowFigures {
    /// Tenants in the rollout.
    pub tenants: usize,
    /// From Start to the rollout view saying "finished".
    pub rollout: Duration,
    /// Every gap between animation frames while it ran: when it ended (ms after Start was
    /// clicked, about) and how long it was (ms).
    pub gaps: Vec<(f64, f64)>,
    /// Peak resident memory of each of the app's processes (KiB), and of all together.
    pub peaks: Vec<(&'static str, u64)>,
    /// Peak of all together (KiB).
    pub peak_total: u64,
    /// CPU time each of the app's processes spent while it ran.
    pub cpu: Vec<(&'static str, Duration)>,
    /// The share of the machine's CPU (all cores) that was busy while it ran.
    pub machine_busy: f64,
}

/// Runs the measure over `entries` with `per_cluster` tenants on each, the app binary `app`.
pub async fn measure(
    entries: &[ContextEntry],
    kubeconfig: &Path,
    app: &Path,
    per_cluster: usize,
) -> Result<WindowFigures, BenchError> {
    let data = tempfile::tempdir().map_err(|source| BenchError::Process { what: "a temp folder".into(), source })?;
    let actions = actions_in(&data.path().join("setup")).await?;
    let ids = bench_ids(per_cluster);
    create(&actions, entries, &ids).await?;
    actions.close().await;
    let tenants = per_cluster * entries.len();

    let app_data = data.path().join("app");
    let driver = Driver::start(&kubeconfig.display().to_string(), &app_data, data.path(), &[]).await?;
    let client = driver.open_app(app).await?;
    let figures = drive(&client, tenants).await;
    let _ = client.close().await;
    figures
}

async fn drive(client: &Client, tenants: usize) -> Result<WindowFigures, BenchError> {
    let search = wait_for(client, "#tenant-search", 60).await?;
    search.send_keys("bench-ro-").await.map_err(webdriver)?;
    text_until(client, ".count-note", &format!("{tenants} of"), 120).await?;
    click(client, "#pick-all").await?;
    text_until(client, "#selection-count", &format!("{tenants} chosen"), 30).await?;
    click(client, "#change-chosen").await?;
    for (id, text) in [
        ("rollout-version", "7.0.0"),
        ("rollout-canary", "10"),
        ("rollout-wave-size", "100"),
        ("rollout-per-cluster", "32"),
        ("rollout-hold", "1"),
        ("rollout-reason", "bench"),
    ] {
        let field = wait_for(client, &format!("#{id}"), 10).await?;
        field.clear().await.map_err(webdriver)?;
        field.send_keys(text).await.map_err(webdriver)?;
    }
    click(client, "#rollout-plan-button").await?;
    text_until(client, "#rollout-plan", "tenants change", 120).await?;
    client.execute(FRAME_LOOP, Vec::new()).await.map_err(webdriver)?;
    let (cpu_before, machine_before) = (cpu_by_process(), machine_ticks());
    let started = Instant::now();
    click(client, "#rollout-start").await?;
    let mut gaps = Vec::new();
    let mut peaks: Vec<(&'static str, u64)> = PROCESSES.iter().map(|(_, label)| (*label, 0)).collect();
    let mut peak_total = 0;
    let deadline = started + Duration::from_secs(3600);
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let taken = client.execute("return window.__frameGaps.splice(0);", Vec::new()).await.map_err(webdriver)?;
        gaps.extend(taken.as_array().into_iter().flatten().filter_map(|pair| {
            let pair = pair.as_array()?;
            Some((pair.first()?.as_f64()?, pair.get(1)?.as_f64()?))
        }));
        let now = rss_by_process();
        for (peak, (_, kib)) in peaks.iter_mut().zip(&now) {
            peak.1 = peak.1.max(*kib);
        }
        peak_total = peak_total.max(now.iter().map(|(_, kib)| kib).sum());
        let state = client.find(Locator::Id("rollout-state")).await;
        let state = match state {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if state.contains("finished") {
            break;
        }
        if state.contains("stopped") || state.contains("paused") || Instant::now() > deadline {
            return Err(BenchError::Failed(format!("the rollout did not finish: {state}")));
        }
    }
    let rollout = started.elapsed();
    let cpu = cpu_by_process()
        .into_iter()
        .zip(cpu_before)
        .map(|((label, after), (_, before))| (label, after.saturating_sub(before)))
        .collect();
    let (busy, total) = machine_ticks();
    let machine_busy =
        busy.saturating_sub(machine_before.0) as f64 / total.saturating_sub(machine_before.1).max(1) as f64;
    Ok(WindowFigures { tenants, rollout, gaps, peaks, peak_total, cpu, machine_busy })
}

/// CPU time (user and system) each of the app's processes has spent so far, summed per kind.
fn cpu_by_process() -> Vec<(&'static str, Duration)> {
    let tick = Duration::from_secs(1) / ticks_per_second();
    sum_by_process(Duration::ZERO, |process| {
        let stat = std::fs::read_to_string(process.join("stat")).ok()?;
        // After the command in parentheses: state is field 3, utime and stime fields 14 and 15.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks: u32 = [11, 12].iter().filter_map(|i| fields.get(*i)?.parse::<u32>().ok()).sum();
        Some(tick * ticks)
    })
}

/// The machine's busy and total CPU ticks so far, over all cores (`/proc/stat`'s first line).
fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<u64> = stat
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("cpu "))
        .map(|rest| rest.split_whitespace().filter_map(|n| n.parse().ok()).collect())
        .unwrap_or_default();
    let total = ticks.iter().take(8).sum();
    // idle and iowait are the fourth and fifth columns.
    let idle = ticks.get(3).copied().unwrap_or(0) + ticks.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

/// The kernel's clock ticks per second (`/proc` counts CPU time in them).
fn ticks_per_second() -> u32 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .and_then(|ticks| u32::try_from(ticks).ok())
        .filter(|ticks| *ticks > 0)
        .unwrap_or(100)
}

/// Resident memory (KiB) of each of the app's processes now, summed per kind: every page each
/// maps, so libraries two of them share (WebKit's) count twice.
pub fn rss_by_process() -> Vec<(&'static str, u64)> {
    memory_by_process("status", "VmRSS:")
}

/// Proportional memory (KiB) of each of the app's processes now, summed per kind: a page shared
/// by n processes counts 1/n in each, so the sum is what the app holds together.
pub fn pss_by_process() -> Vec<(&'static str, u64)> {
    memory_by_process("smaps_rollup", "Pss:")
}

/// The `field` line of `/proc/PID/<file>` (KiB) of each of the app's processes, summed per kind.
fn memory_by_process(file: &str, field: &str) -> Vec<(&'static str, u64)> {
    sum_by_process(0, |process| {
        let text = std::fs::read_to_string(process.join(file)).ok()?;
        text.lines().find_map(|l| l.strip_prefix(field)?.split_whitespace().next()?.parse::<u64>().ok())
    })
}

/// `read` of every running process of the app (its `/proc/PID` folder), summed per kind of
/// process, starting from `zero`; a process `read` finds nothing in adds nothing.
fn sum_by_process<T: Copy + std::ops::AddAssign>(zero: T, read: impl Fn(&Path) -> Option<T>) -> Vec<(&'static str, T)> {
    let mut sums: Vec<(&'static str, T)> = PROCESSES.iter().map(|(_, label)| (*label, zero)).collect();
    for (index, path) in app_processes() {
        if let Some(value) = read(&path) {
            sums[index].1 += value;
        }
    }
    sums
}

/// The `/proc/PID` folder of every running process of the app, with the index of its kind in
/// [`PROCESSES`].
pub fn app_processes() -> Vec<(usize, PathBuf)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let path = entry.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if let Some(index) = PROCESSES.iter().position(|(name, _)| comm.trim() == *name) {
            found.push((index, path));
        }
    }
    found
}

async fn wait_for(client: &Client, css: &str, seconds: u64) -> Result<fantoccini::elements::Element, BenchError> {
    client
        .wait()
        .at_most(Duration::from_secs(seconds))
        .for_element(Locator::Css(css))
        .await
        .map_err(|e| BenchError::Failed(format!("{css} did not appear within {seconds} s: {e}")))
}

async fn click(client: &Client, css: &str) -> Result<(), BenchError> {
    wait_for(client, css, 30).await?.click().await.map_err(webdriver)
}

/// Waits until the text at `css` contains `part`.
async fn text_until(client: &Client, css: &str, part: &str, seconds: u64) -> Result<(), BenchError> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let text = match client.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains(part) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(BenchError::Failed(format!("{css} did not show {part:?} within {seconds} s: {text}")));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn webdriver(error: fantoccini::error::CmdError) -> BenchError {
    chain(error)
}

impl WindowFigures {
    /// The Markdown section.
    pub fn report(&self) -> String {
        let mut sorted: Vec<f64> = self.gaps.iter().map(|(_, gap)| *gap).collect();
        let long: Vec<String> = self
            .gaps
            .iter()
            .filter(|(_, gap)| *gap > LONG_GAP_MS)
            .map(|(at, gap)| format!("{gap:.0} ms at {:.1} s", at / 1000.0))
            .collect();
        sorted.sort_by(f64::total_cmp);
        let at = |p: f64| sorted.get(((sorted.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0.0);
        let over = |limit: f64| sorted.iter().filter(|&&gap| gap > limit).count();
        let mib = |kib: u64| kib as f64 / 1024.0;
        let cpu: Vec<String> =
            self.cpu.iter().map(|(label, spent)| format!("{label} {:.1} s", spent.as_secs_f64())).collect();
        let peaks: Vec<String> =
            self.peaks.iter().map(|(label, kib)| format!("{label} {:.0} MiB", mib(*kib))).collect();
        format!(
            "{} tenants rolled out from the window (canary 10, waves of 100, 32 at once per cluster, holds of 1 s)\n\n\
             | Measure | Result |\n|---|---|\n\
             | Start to \"finished\" in the rollout view | {} |\n\
             | Animation frames while it ran | {} |\n\
             | Gap between frames: median / p99 / max | {:.0} / {:.0} / {:.0} ms |\n\
             | Gaps over 100 ms | {} (over 50 ms: {}){} |\n\
             | Peak memory, each of the app's processes | {} |\n\
             | Peak memory, all together | {:.0} MiB |\n\
             | CPU while it ran, each of the app's processes | {} |\n\
             | The machine's CPU busy while it ran (all cores) | {:.0} % |\n",
            self.tenants,
            ms(self.rollout),
            sorted.len(),
            at(0.5),
            at(0.99),
            sorted.last().copied().unwrap_or(0.0),
            over(LONG_GAP_MS),
            over(50.0),
            if long.is_empty() { String::new() } else { format!("; {}", long.join(", ")) },
            peaks.join(", "),
            mib(self.peak_total),
            cpu.join(", "),
            self.machine_busy * 100.0,
        )
    }
}
