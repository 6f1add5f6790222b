//! A desktop session for tests: a session bus of its own and a real notification daemon (dunst,
//! on an Xvfb display of its own) on it, whose history says what was shown.

use std::path::Path;
use std::time::Duration;

use crate::Result;
use crate::error::Error;
use crate::poll::wait_for;
use crate::process::Component;

/// A running session bus with dunst on it; both stop when dropped.
#[derive(Debug)]
pub struct DesktopSession {
    /// The session bus address (`DBUS_SESSION_BUS_ADDRESS` for processes of the session).
    pub address: String,
    _dunst: Component,
    _bus: Component,
}

impl DesktopSession {
    /// Starts the bus and dunst, logging to `dir`, and waits until dunst answers on the bus.
    pub fn start(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(crate::error::io(format!("cannot create {}", dir.display())))?;
        let bus = Component::start(
            "dbus-daemon",
            Path::new("dbus-daemon"),
            &["--session".into(), "--nofork".into(), "--print-address=1".into()],
            &[],
            dir,
        )?;
        let address = wait_for(Duration::from_secs(10), || {
            std::fs::read_to_string(&bus.log).ok().and_then(|log| log.lines().next().map(str::to_owned))
        })
        .ok_or_else(|| Error::Desktop("the session bus printed no address".into()))?;
        let dunst = Component::start(
            "dunst",
            Path::new("xvfb-run"),
            &["-a".into(), "dunst".into()],
            &[("DBUS_SESSION_BUS_ADDRESS", Path::new(&address))],
            dir,
        )?;
        let session = Self { address, _dunst: dunst, _bus: bus };
        wait_for(Duration::from_secs(20), || session.dunstctl(&["is-paused"]).filter(|out| out.trim() == "false"))
            .ok_or_else(|| Error::Desktop("dunst did not answer on the session bus".into()))?;
        Ok(session)
    }

    /// Every notification dunst has shown, oldest first, as `(summary, body)`.
    pub fn shown(&self) -> Vec<(String, String)> {
        self.dunstctl(&["close-all"]);
        let history = self.dunstctl(&["history"]).unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(&history).unwrap_or_default();
        let field = |entry: &serde_json::Value, name: &str| entry[name]["data"].as_str().unwrap_or_default().to_owned();
        let mut shown: Vec<(i64, String, String)> = json["data"][0]
            .as_array()
            .into_iter()
            .flatten()
            .map(|entry| {
                (entry["id"]["data"].as_i64().unwrap_or_default(), field(entry, "summary"), field(entry, "body"))
            })
            .collect();
        shown.sort();
        shown.into_iter().map(|(_, summary, body)| (summary, body)).collect()
    }

    fn dunstctl(&self, args: &[&str]) -> Option<String> {
        let output = std::process::Command::new("dunstctl")
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .output()
            .ok()?;
        output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }
}
