//! The small JSON files Tenantry keeps in the config folder (window state, watched clusters,
//! groups, notification settings): read as a whole — a missing file is nothing yet, an
//! unreadable or damaged one is logged and taken as nothing — and written as a whole, to a
//! sibling file first and then renamed over the old one, so a crash never leaves half a file.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The value in `path` (`what` names it in the log), or `None`: none yet, or unreadable.
pub fn read<T: DeserializeOwned>(path: &Path, what: &str) -> Option<T> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
        Err(error) => {
            tracing::warn!(%error, path = %path.display(), "{what} cannot be read; the defaults apply");
            return None;
        }
    };
    serde_json::from_str(&text)
        .inspect_err(|error| tracing::warn!(%error, path = %path.display(), "{what} is unreadable; the defaults apply"))
        .ok()
}

/// Writes `value` to `path` (its folder made if needed): to a sibling file, then renamed over.
pub fn write<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)?;
    }
    let fresh = path.with_extension("json.new");
    std::fs::write(&fresh, serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?)?;
    std::fs::rename(&fresh, path)
}
