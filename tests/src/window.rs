//! The real app window, driven through tauri-driver and WebKitWebDriver on an X display (Xvfb
//! in tests and benchmarks): the window test and the window benchmark start it the same way.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};

use crate::error::{Error, Result};
use crate::process::Component;

/// tauri-driver (and through it WebKitWebDriver and the app), stopped on drop.
pub struct Driver {
    _process: Component,
    url: String,
}

impl Driver {
    /// Starts tauri-driver for an app reading `kubeconfig` and keeping its data in `data_dir`
    /// (its config in `data_dir/config`), with `more` environment variables; logs go to
    /// `log_dir`.
    pub async fn start(kubeconfig: &str, data_dir: &Path, log_dir: &Path, more: &[(&str, &Path)]) -> Result<Self> {
        if std::env::var_os("DISPLAY").is_none() {
            return Err(Error::Window("no X display: run under xvfb-run (scripts/test does)".into()));
        }
        let (port, native_port) = (free_port(), free_port());
        let driver = which("tauri-driver")?;
        let args = [
            format!("--port={port}"),
            format!("--native-port={native_port}"),
            "--native-driver=/usr/bin/WebKitWebDriver".to_owned(),
        ];
        // The driver passes its environment on to the app it starts.
        let config_dir = data_dir.join("config");
        let mut envs = vec![
            ("KUBECONFIG", Path::new(kubeconfig)),
            ("TENANTRY_DATA_DIR", data_dir),
            ("TENANTRY_CONFIG_DIR", &config_dir),
        ];
        envs.extend_from_slice(more);
        let process = Component::start("tauri-driver", &driver, &args, &envs, log_dir)?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            if Instant::now() > deadline {
                return Err(Error::Window(format!("tauri-driver did not listen on {port}; see {}", log_dir.display())));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(Self { _process: process, url: format!("http://127.0.0.1:{port}") })
    }

    /// Opens the app `binary` in a WebDriver session.
    pub async fn open_app(&self, binary: &Path) -> Result<Client> {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("tauri:options".into(), serde_json::json!({"application": binary}));
        ClientBuilder::native()
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .map_err(|e| Error::Window(format!("a WebDriver session did not open the app: {e}")))
    }
}

/// The release app binary `scripts/test` builds, in the target dir above an integration test's
/// `target_tmpdir` (its `CARGO_TARGET_TMPDIR`).
pub fn app_binary(target_tmpdir: &str) -> PathBuf {
    let target = Path::new(target_tmpdir).parent().unwrap_or(Path::new(target_tmpdir));
    let binary = target.join("release/tenantry-app");
    assert!(
        binary.exists(),
        "{} is missing: build it first with `cargo build --release -p tenantry-app --features custom-protocol` (scripts/test does)",
        binary.display()
    );
    binary
}

/// The WebKit web processes of the app process `app`: its children, or grandchildren through a
/// sandbox.
pub fn web_processes_of(app: u32) -> Vec<u32> {
    let parent = |pid: u32| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
    };
    let Ok(processes) = std::fs::read_dir("/proc") else { return Vec::new() };
    processes
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "WebKitWebProces"))
        .filter(|pid| std::iter::successors(parent(*pid), |p| parent(*p)).take(4).any(|p| p == app))
        .collect()
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_or(0, |a| a.port())
}

/// `program` on `PATH`.
fn which(program: &str) -> Result<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.exists())
        .ok_or_else(|| Error::Window(format!("{program} is not on PATH: run scripts/setup")))
}
