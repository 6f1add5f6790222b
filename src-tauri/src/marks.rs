//! Timing marks the window sets as its start reaches a point the user sees — the cached rows on
//! screen, then every watched cluster settled (live, or known unreachable) on screen — measured
//! by the app itself from the moment the process started, logged and readable by the
//! benchmarks (`timing_marks`). The cached rows on screen also let the fleet's watches start
//! (`Fleet::start_once_shown`), so that the window comes up before the clusters' listings.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use tauri::State;
use tokio::sync::oneshot;

/// The mark the window sets once the cached rows are on screen.
const CACHED_ROWS_SHOWN: &str = "cached rows on screen";

/// When the process started, and the marks set since (name, milliseconds), each once.
pub struct Marks {
    started: Instant,
    set: Mutex<Vec<(String, u64)>>,
    rows_shown: Mutex<Option<oneshot::Sender<()>>>,
}

impl Marks {
    /// Marks measured from `started` (taken first thing in `main`); the returned future
    /// completes once the window has set [`CACHED_ROWS_SHOWN`] (or the marks are gone).
    pub fn new(started: Instant) -> (Self, impl Future<Output = ()> + Send + 'static) {
        let (rows_shown, shown) = oneshot::channel();
        let marks = Self { started, set: Mutex::new(Vec::new()), rows_shown: Mutex::new(Some(rows_shown)) };
        (marks, async move {
            let _ = shown.await;
        })
    }
}

/// Sets mark `name` now, unless it is set already.
#[tauri::command]
pub fn mark(marks: State<'_, Marks>, name: String) {
    let ms = u64::try_from(marks.started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut set = marks.set.lock().unwrap_or_else(PoisonError::into_inner);
    if !set.iter().any(|(known, _)| known == &name) {
        tracing::info!(mark = %name, ms, "timing mark");
        if name == CACHED_ROWS_SHOWN
            && let Some(rows_shown) = marks.rows_shown.lock().unwrap_or_else(PoisonError::into_inner).take()
        {
            let _ = rows_shown.send(());
        }
        set.push((name, ms));
    }
}

/// The marks set so far, in the order they were set.
#[tauri::command]
pub fn timing_marks(marks: State<'_, Marks>) -> Vec<(String, u64)> {
    marks.set.lock().unwrap_or_else(PoisonError::into_inner).clone()
}
