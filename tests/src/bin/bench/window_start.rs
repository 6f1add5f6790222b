//! The window's start with kubeconfigs of many contexts: one real cluster (its tenants cached by
//! a first start) plus contexts that lead nowhere — each on a server of its own that refuses
//! connections, every fifth through an exec credential plugin that takes a second and fails — at
//! 3, 100 and 500 contexts. The app is started with the same data folder, the sizes in turn over
//! five rounds, and the time it reports for "cached rows on screen" and "clusters settled on
//! screen" (its own timing marks, from its process start; settled: every watched cluster live, or
//! known unreachable; before them "page loading" and "page running", which split WebKit's start
//! from the page's) is read through the window, with the memory of every process of the app a
//! few seconds later (resident, proportional, and each physical page once). With
//! `--whole-fleet`, the same marks and memory on every cluster of the fleet at its full size.

use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::Client;
use tenantry_tests::window::Driver;

use crate::BenchError;
use crate::distinct_pages::distinct_kib;
use crate::stats::median;
use crate::window_rollout::{app_processes, pss_by_process, rss_by_process};

/// Starts per context count.
const RUNS: usize = 5;
/// The memory column's heading.
const MEMORY: &str = "memory of all the app's processes: resident (RSS) / proportional (PSS) / each physical page once";

/// One start: its marks (ms) and the app's memory after it (KiB per kind of process, resident
/// and proportional; and its distinct pages, each counted once, where they can be read).
struct Start {
    page: PageMarks,
    cached: u64,
    settled: u64,
    resident: Vec<(&'static str, u64)>,
    proportional: Vec<(&'static str, u64)>,
    distinct: Option<u64>,
}

impl Start {
    /// Each kind of process's resident and proportional memory, "backend 280/200 / …" (MiB).
    fn memory_split(&self) -> String {
        let parts: Vec<String> = self
            .resident
            .iter()
            .zip(&self.proportional)
            .map(|((label, rss), (_, pss))| format!("{label} {}/{}", mib(*rss), mib(*pss)))
            .collect();
        parts.join(" / ")
    }
}

/// When the page began to load and when its code began to run (ms from the process's start),
/// where the window set those marks.
#[derive(Clone, Copy)]
struct PageMarks {
    loading: Option<u64>,
    running: Option<u64>,
}

/// The sum of `memory` (KiB).
fn total(memory: &[(&'static str, u64)]) -> u64 {
    memory.iter().map(|(_, kib)| kib).sum()
}

/// KiB in whole MiB.
fn mib(kib: u64) -> String {
    format!("{:.0}", kib as f64 / 1024.0)
}

/// Measures starts with each of `counts` contexts against the real cluster of `kubeconfig`
/// (its current context), the app binary `app`.
pub async fn measure(kubeconfig: &Path, app: &Path, counts: &[usize]) -> Result<String, BenchError> {
    let dir = tempfile::tempdir().map_err(|source| BenchError::Process { what: "a temp folder".into(), source })?;
    let plugin = dir.path().join("slow-plugin");
    tenantry_tests::script::write_script(&plugin, "sleep 1\nexit 1")
        .map_err(|source| BenchError::Process { what: "the plugin".into(), source })?;
    let data = dir.path().join("data");
    // A first start fills the cache, as a user's earlier sessions have.
    start(&write_kubeconfig(dir.path(), kubeconfig, 1, &plugin)?, &data, dir.path(), app).await?;
    let mut rows = Vec::new();
    for &count in counts {
        rows.push((count, write_kubeconfig(dir.path(), kubeconfig, count, &plugin)?, Vec::new()));
    }
    // Round by round, every size once per round: a machine that slows down (or a cache file
    // that grows) over the minutes of the benchmark weighs on every size alike.
    for _ in 0..RUNS {
        for (_, file, starts) in &mut rows {
            starts.push(start(file, &data, dir.path(), app).await?);
        }
    }
    let rows: Vec<(usize, Vec<Start>)> = rows.into_iter().map(|(count, _, starts)| (count, starts)).collect();
    Ok(report(&rows))
}

/// Measures starts of the app on every cluster of `kubeconfig` (a `testenv` fleet of `clusters`,
/// through their admin contexts), its cache filled by a first start: the cached and the live
/// fleet at full size.
pub async fn measure_fleet(kubeconfig: &Path, app: &Path, clusters: usize) -> Result<String, BenchError> {
    let dir = tempfile::tempdir().map_err(|source| BenchError::Process { what: "a temp folder".into(), source })?;
    let file = write_admin_contexts(dir.path(), kubeconfig)?;
    let data = dir.path().join("data");
    start(&file, &data, dir.path(), app).await?;
    let mut starts = Vec::new();
    for _ in 0..RUNS {
        starts.push(start(&file, &data, dir.path(), app).await?);
    }
    Ok(fleet_report(clusters, &starts))
}

/// `real` without its help-desk contexts, so each cluster is watched once, as its admin.
fn write_admin_contexts(dir: &Path, real: &Path) -> Result<PathBuf, BenchError> {
    let text = std::fs::read_to_string(real)
        .map_err(|source| BenchError::Process { what: "the kubeconfig".into(), source })?;
    let mut config: serde_yaml::Value = serde_yaml::from_str(&text).map_err(|e| BenchError::Failed(e.to_string()))?;
    if let Some(contexts) = config["contexts"].as_sequence_mut() {
        contexts.retain(|context| {
            context["name"].as_str().is_some_and(|name| !name.ends_with(tenantry_tests::fleet::HELPDESK_SUFFIX))
        });
    }
    let path = dir.join("kubeconfig-admin");
    let text = serde_yaml::to_string(&config).map_err(|e| BenchError::Failed(e.to_string()))?;
    std::fs::write(&path, text).map_err(|source| BenchError::Process { what: "a kubeconfig".into(), source })?;
    Ok(path)
}

/// A kubeconfig of `count` contexts: the real cluster's current context first, then contexts
/// each on a server of its own that refuses connections (a closed port on another loopback
/// address), every fifth of them through `plugin`.
fn write_kubeconfig(dir: &Path, real: &Path, count: usize, plugin: &Path) -> Result<PathBuf, BenchError> {
    let real_text = std::fs::read_to_string(real)
        .map_err(|source| BenchError::Process { what: "the kubeconfig".into(), source })?;
    let real_config: serde_yaml::Value =
        serde_yaml::from_str(&real_text).map_err(|e| BenchError::Failed(e.to_string()))?;
    let current = real_config["current-context"].as_str().unwrap_or_default().to_owned();
    let pick = |list: &str, name: &str| {
        real_config[list].as_sequence().into_iter().flatten().find(|item| item["name"].as_str() == Some(name)).cloned()
    };
    let context = pick("contexts", &current).ok_or_else(|| BenchError::Failed("no current context".into()))?;
    let cluster = pick("clusters", context["context"]["cluster"].as_str().unwrap_or_default());
    let user = pick("users", context["context"]["user"].as_str().unwrap_or_default());
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(|source| BenchError::Process { what: "a closed port".into(), source })?
        .port();
    let mut contexts = vec![context];
    let mut clusters: Vec<serde_yaml::Value> = cluster.into_iter().collect();
    let mut users: Vec<serde_yaml::Value> = user.into_iter().collect();
    users.push(
        serde_yaml::from_str("{name: token, user: {token: not-a-token}}")
            .map_err(|e| BenchError::Failed(e.to_string()))?,
    );
    users.push(
        serde_yaml::from_str(&format!(
            "{{name: plugin, user: {{exec: {{apiVersion: client.authentication.k8s.io/v1, command: '{}', interactiveMode: Never}}}}}}",
            plugin.display()
        ))
        .map_err(|e| BenchError::Failed(e.to_string()))?,
    );
    for n in 1..count {
        let user = if n % 5 == 0 { "plugin" } else { "token" };
        let address = format!("127.0.{}.{}", 1 + n / 250, 2 + n % 250);
        clusters.push(
            serde_yaml::from_str(&format!("{{name: 'far-{n:03}', cluster: {{server: 'https://{address}:{closed}'}}}}"))
                .map_err(|e| BenchError::Failed(e.to_string()))?,
        );
        contexts.push(
            serde_yaml::from_str(&format!("{{name: 'far-{n:03}', context: {{cluster: 'far-{n:03}', user: {user}}}}}"))
                .map_err(|e| BenchError::Failed(e.to_string()))?,
        );
    }
    let mut config = serde_yaml::Mapping::new();
    config.insert("apiVersion".into(), "v1".into());
    config.insert("kind".into(), "Config".into());
    config.insert("current-context".into(), current.into());
    config.insert("clusters".into(), clusters.into());
    config.insert("users".into(), users.into());
    config.insert("contexts".into(), contexts.into());
    let path = dir.join(format!("kubeconfig-{count}"));
    let text = serde_yaml::to_string(&config).map_err(|e| BenchError::Failed(e.to_string()))?;
    std::fs::write(&path, text).map_err(|source| BenchError::Process { what: "a kubeconfig".into(), source })?;
    Ok(path)
}

/// Starts the app with `kubeconfig` and `data`, waits for both marks, samples its memory 5 s
/// later, and closes it.
async fn start(kubeconfig: &Path, data: &Path, scratch: &Path, app: &Path) -> Result<Start, BenchError> {
    let driver = Driver::start(&kubeconfig.display().to_string(), data, scratch, &[]).await?;
    let client = driver.open_app(app).await?;
    let outcome = marks(&client).await;
    let (resident, proportional, distinct) = if outcome.is_ok() {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let processes = app_processes();
        let folders: Vec<&Path> = processes.iter().map(|(_, folder)| folder.as_path()).collect();
        (rss_by_process(), pss_by_process(), distinct_kib(&folders))
    } else {
        (Vec::new(), Vec::new(), None)
    };
    let _ = client.close().await;
    drop(driver);
    let (page, cached, settled) = outcome?;
    Ok(Start { page, cached, settled, resident, proportional, distinct })
}

/// The app's "cached rows on screen" and "clusters settled on screen" marks, waited for (60 s),
/// with the page's own marks set before them.
async fn marks(client: &Client) -> Result<(PageMarks, u64, u64), BenchError> {
    let read = "const done = arguments[arguments.length - 1]; \
                window.__TAURI__.core.invoke('timing_marks').then(done, () => done([]));";
    for _ in 0..240 {
        let marks = client.execute_async(read, Vec::new()).await.map_err(|e| BenchError::Failed(e.to_string()))?;
        let find = |name: &str| {
            marks
                .as_array()
                .into_iter()
                .flatten()
                .find(|mark| mark[0].as_str() == Some(name))
                .and_then(|mark| mark[1].as_u64())
        };
        if let (Some(cached), Some(settled)) = (find("cached rows on screen"), find("clusters settled on screen")) {
            let page = PageMarks { loading: find("page loading"), running: find("page running") };
            return Ok((page, cached, settled));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(BenchError::Failed("the window set no timing marks within 60 s".into()))
}

/// The median of `values` (ms).
fn median_ms(values: Vec<u64>) -> u128 {
    median(&values.iter().map(|v| Duration::from_millis(*v)).collect::<Vec<_>>()).unwrap_or_default().as_millis()
}

/// The medians of some starts: marks (ms) and memory of all processes (KiB, RSS and PSS).
struct Medians {
    loading: Option<u128>,
    running: Option<u128>,
    cached: u128,
    settled: u128,
    resident: u64,
    proportional: u64,
    distinct: Option<u64>,
}

impl Medians {
    fn of(starts: &[Start]) -> Self {
        let page = |mark: fn(&PageMarks) -> Option<u64>| {
            starts.iter().map(|s| mark(&s.page)).collect::<Option<Vec<u64>>>().map(median_ms)
        };
        Self {
            loading: page(|p| p.loading),
            running: page(|p| p.running),
            cached: median_ms(starts.iter().map(|s| s.cached).collect()),
            settled: median_ms(starts.iter().map(|s| s.settled).collect()),
            resident: median_ms(starts.iter().map(|s| total(&s.resident)).collect()) as u64,
            proportional: median_ms(starts.iter().map(|s| total(&s.proportional)).collect()) as u64,
            distinct: starts.iter().map(|s| s.distinct).collect::<Option<Vec<u64>>>().map(|kib| median_ms(kib) as u64),
        }
    }
}

/// Each start as "page loading/page running/cached/settled (memory of each process; each page
/// once)".
fn samples(starts: &[Start]) -> String {
    let samples: Vec<String> = starts
        .iter()
        .map(|s| {
            let (loading, running) = (or_na(s.page.loading), or_na(s.page.running));
            format!("{loading}/{running}/{}/{} ({}; {})", s.cached, s.settled, s.memory_split(), once(s.distinct))
        })
        .collect();
    samples.join(", ")
}

/// A figure, or "n/a" where it could not be had (a mark the window did not set, pages that
/// could not be read).
fn or_na(figure: Option<impl std::fmt::Display>) -> String {
    figure.map_or_else(|| "n/a".into(), |figure| figure.to_string())
}

/// Distinct pages (KiB) in whole MiB, or "n/a" where they could not be read.
fn once(distinct: Option<u64>) -> String {
    or_na(distinct.map(mib))
}

/// The whole-fleet table: marks and memory of `starts` on `clusters` clusters.
fn fleet_report(clusters: usize, starts: &[Start]) -> String {
    let Medians { loading, running, cached, settled, resident, proportional, distinct } = Medians::of(starts);
    format!(
        "### Window start on the whole fleet (median of {RUNS} starts; the app's own timing marks)\n\n\
         | clusters | page loading | page running | cached rows on screen | live rows (every cluster settled) on screen | {MEMORY} |\n|---|---|---|---|---|---|\n\
         | {clusters} | {} ms | {} ms | {cached} ms | {settled} ms | {} / {} / {} MiB |\n\n\
         Samples (page loading / page running / cached / settled ms; MiB of each process, RSS/PSS; each page once): {}\n",
        or_na(loading),
        or_na(running),
        mib(resident),
        mib(proportional),
        once(distinct),
        samples(starts)
    )
}

fn report(rows: &[(usize, Vec<Start>)]) -> String {
    let baseline = rows.first().map(|(_, starts)| Medians::of(starts).cached).unwrap_or(1).max(1);
    let mut out = format!(
        "### Window start by kubeconfig size (median of {RUNS} starts, the sizes taken in turn; the app's own timing marks)\n\n\
         | contexts | cached rows on screen | ÷ 3 contexts | clusters settled on screen | {MEMORY} |\n|---|---|---|---|---|\n",
    );
    for (count, starts) in rows {
        let Medians { cached, settled, resident, proportional, distinct, .. } = Medians::of(starts);
        out.push_str(&format!(
            "| {count} | {cached} ms | {:.2}× | {settled} ms | {} / {} / {} MiB |\n",
            cached as f64 / baseline as f64,
            mib(resident),
            mib(proportional),
            once(distinct)
        ));
    }
    out.push_str(
        "\nSamples (page loading / page running / cached / settled ms; MiB of each process, RSS/PSS; each page once):\n",
    );
    for (count, starts) in rows {
        out.push_str(&format!("- {count} contexts: {}\n", samples(starts)));
    }
    out
}
