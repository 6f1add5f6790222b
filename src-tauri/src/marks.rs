//! Timing marks the window sets as its start reaches a point the user sees — the cached rows on
//! screen, then every watched cluster settled (live, or known unreachable) on screen — measured
//! by the app itself from the moment the process started, logged and readable by the
//! benchmarks (`timing_marks`).

use std::sync::Mutex;
use std::time::Instant;

use tauri::State;

/// When the process started, and the marks set since (name, milliseconds), each once.
pub struct Marks {
    started: Instant,
    set: Mutex<Vec<(String, u64)>>,
}

impl Marks {
    /// Marks measured from `started` (taken first thing in `main`).
    pub fn new(started: Instant) -> Self {
        Self { started, set: Mutex::new(Vec::new()) }
    }
}

/// Sets mark `name` now, unless it is set already.
#[tauri::command]
pub fn mark(marks: State<'_, Marks>, name: String) {
    let ms = u64::try_from(marks.started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut set = marks.set.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !set.iter().any(|(known, _)| known == &name) {
        tracing::info!(mark = %name, ms, "timing mark");
        set.push((name, ms));
    }
}

/// The marks set so far, in the order they were set.
#[tauri::command]
pub fn timing_marks(marks: State<'_, Marks>) -> Vec<(String, u64)> {
    marks.set.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
}
