//! The window as the user left it — size, place on the screen, maximized, the view it showed —
//! kept in the config folder, so the next start opens it the same way. A missing or unreadable
//! file means the defaults; the file is replaced whole, never left half written.

use std::path::Path;

use tenantry_model::WindowState;

/// The smallest window the app opens with (as its window config's minimum).
pub const MIN_SIZE: (u32, u32) = (900, 560);

/// The remembered state in `path`, or `None` (none yet, unreadable: logged, or too small to use).
pub fn load(path: &Path) -> Option<WindowState> {
    crate::json_file::read::<WindowState>(path, "the window's remembered state")
        .filter(|state| state.width >= MIN_SIZE.0 && state.height >= MIN_SIZE.1)
}

/// Writes `state` to `path`: to a sibling file first, then renamed over the old one.
pub fn save(path: &Path, state: &WindowState) -> std::io::Result<()> {
    crate::json_file::write(path, state)
}

#[cfg(test)]
mod tests {
    use tenantry_model::View;

    use super::*;

    #[test]
    fn a_saved_state_loads_back_and_a_broken_or_tiny_one_means_the_defaults() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config/window.json");
        assert_eq!(load(&path), None, "nothing remembered yet");
        let state = WindowState { width: 1100, height: 700, x: 40, y: -20, maximized: false, view: View::Rollouts };
        save(&path, &state).expect("saved");
        assert_eq!(load(&path), Some(state));
        std::fs::write(&path, "{\"width\": 1100, \"heig").expect("a torn file");
        assert_eq!(load(&path), None);
        save(&path, &WindowState { width: 10, height: 10, ..state }).expect("saved");
        assert_eq!(load(&path), None, "a window too small to use is not restored");
    }
}
