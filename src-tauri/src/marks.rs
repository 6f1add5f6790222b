//! Timing marks the window sets as its start reaches a point the user sees — the cached rows on
//! screen, then every watched cluster settled (live, or known unreachable) on screen; before
//! them, when WebKit began to load the page and when the page's code began to run — measured
//! by the app itself from the moment the process started, logged and readable by the
//! benchmarks (`timing_marks`). The cached rows on screen also let the fleet's watches start
//! (`Fleet::start_once_shown`), so that the window comes up before the clusters' listings, and
//! let the rest of a large snapshot follow its first screen (`commands::watch_tenants`).

use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use tauri::State;
use tokio::sync::watch;

/// The mark the window sets once the cached rows are on screen.
const CACHED_ROWS_SHOWN: &str = "cached rows on screen";

/// When the process started, and the marks set since (name, milliseconds), each once.
pub struct Marks {
    /// The process's start, in milliseconds since the Unix epoch.
    started_ms: f64,
    set: Mutex<Vec<(String, u64)>>,
    /// Whether the window has set [`CACHED_ROWS_SHOWN`].
    rows_shown: watch::Sender<bool>,
}

impl Marks {
    /// Marks measured from `started` (taken first thing in `main`).
    pub fn new(started: SystemTime) -> Self {
        let started_ms = started.duration_since(UNIX_EPOCH).map_or(0.0, |since| since.as_secs_f64() * 1000.0);
        Self { started_ms, set: Mutex::new(Vec::new()), rows_shown: watch::Sender::new(false) }
    }

    /// Completes once the window has set [`CACHED_ROWS_SHOWN`] (at once if it has already, or
    /// once the marks are gone).
    pub fn rows_shown(&self) -> impl Future<Output = ()> + Send + use<> {
        let mut shown = self.rows_shown.subscribe();
        async move {
            let _ = shown.wait_for(|shown| *shown).await;
        }
    }
}

/// Sets mark `name`, reached at `at` by the window's clock (milliseconds since the Unix epoch:
/// when the window got there, not when this call arrived behind other traffic), unless it is
/// set already.
#[tauri::command]
pub fn mark(marks: State<'_, Marks>, name: String, at: f64) {
    let ms = (at - marks.started_ms).max(0.0).round() as u64;
    let mut set = marks.set.lock().unwrap_or_else(PoisonError::into_inner);
    if !set.iter().any(|(known, _)| known == &name) {
        tracing::info!(mark = %name, ms, "timing mark");
        if name == CACHED_ROWS_SHOWN {
            marks.rows_shown.send_replace(true);
        }
        set.push((name, ms));
    }
}

/// The marks set so far, in the order they were set.
#[tauri::command]
pub fn timing_marks(marks: State<'_, Marks>) -> Vec<(String, u64)> {
    marks.set.lock().unwrap_or_else(PoisonError::into_inner).clone()
}
