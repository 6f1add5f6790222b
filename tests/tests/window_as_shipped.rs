//! The window as a person gets it: the release app started without WebDriver under Xvfb paints
//! on the CPU without compositing (`src-tauri/src/painting.rs`), and takes clicks from the X
//! server's pointer (XTest, through xdotool) — each one seen in the view the app remembers.
//! The WebDriver scenario (`window.rs`) runs with compositing on, because WebKitWebDriver's
//! synthesized clicks can wait forever on a page painted without it.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use tenantry_tests::poll::wait_for;
use tenantry_tests::process::Component;
use tenantry_tests::window::{app_binary, web_processes_of};

/// Runs xdotool with `args`; its standard output, or `None` when it fails (a search that finds
/// nothing exits with 1).
fn xdotool(args: &[&str]) -> Option<String> {
    let output = Command::new("xdotool").args(args).output().expect("xdotool runs (scripts/setup installs it)");
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The names of the threads of process `pid`.
fn thread_names(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|tasks| {
            tasks
                .flatten()
                .filter_map(|task| std::fs::read_to_string(task.path().join("comm")).ok())
                .map(|name| name.trim().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The view the app saved in its window file, once it is there.
fn remembered_view(config_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(config_dir.join("window.json")).ok()?;
    let state: serde_json::Value = serde_json::from_str(&text).ok()?;
    state.get("view")?.as_str().map(str::to_owned)
}

#[test]
fn the_shipped_window_paints_on_the_cpu_and_takes_a_persons_clicks() {
    assert!(std::env::var_os("DISPLAY").is_some(), "no X display: run under xvfb-run (scripts/test does)");
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
        .expect("an empty kubeconfig");
    let (data_dir, config_dir) = (dir.path().join("data"), dir.path().join("data/config"));
    let envs =
        [("KUBECONFIG", kubeconfig.as_path()), ("TENANTRY_DATA_DIR", &data_dir), ("TENANTRY_CONFIG_DIR", &config_dir)];
    let mut app = Component::start("tenantry-app", &app_binary(env!("CARGO_TARGET_TMPDIR")), &[], &envs, dir.path())
        .expect("the app starts");
    let window = wait_for(Duration::from_secs(30), || {
        xdotool(&["search", "--onlyvisible", "--name", "^Tenantry$"])?.lines().next().map(str::to_owned)
    })
    .unwrap_or_else(|| panic!("no Tenantry window; see {}", app.log.display()));
    assert!(app.exited().is_none(), "the app runs");

    let pid = app.pid().expect("the app's process id");
    let web_processes =
        wait_for(Duration::from_secs(20), || Some(web_processes_of(pid)).filter(|found| !found.is_empty()))
            .expect("the app has a web process");
    // Give the page its first paint, when a composited page would have started its compositor.
    std::thread::sleep(Duration::from_secs(2));
    for web_pid in web_processes {
        let names = thread_names(web_pid);
        let with_gl: Vec<&String> =
            names.iter().filter(|name| name.contains("Compositor") || name.starts_with("llvmpipe")).collect();
        assert!(with_gl.is_empty(), "web process {web_pid} composites with GL: {with_gl:?}");
    }

    // The tabs along the top, left to right: each click is seen in the view the app saves,
    // including a click where the pointer already rests after a move of one pixel.
    let tabs = [("clusters", 360), ("audit", 474), ("clusters", 360), ("rollouts", 561), ("tenants", 240)];
    for (view, x) in tabs {
        xdotool(&["mousemove", "--window", &window, &(x + 1).to_string(), "33"]).expect("move the pointer");
        std::thread::sleep(Duration::from_millis(300));
        xdotool(&["mousemove", "--window", &window, &x.to_string(), "32", "click", "1"]).expect("click");
        let seen = wait_for(Duration::from_secs(10), || remembered_view(&config_dir).filter(|saved| saved == view));
        assert_eq!(
            seen.as_deref(),
            Some(view),
            "a click on the {view} tab shows it (saved: {:?})",
            remembered_view(&config_dir)
        );
    }
    app.stop();
}
