//! Waiting for something a process does on its own time (a window, a file, a notification).

use std::time::{Duration, Instant};

/// Polls `check` every 100 ms until it gives something or `within` has passed.
pub fn wait_for<T>(within: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(found) = check() {
            return Some(found);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
