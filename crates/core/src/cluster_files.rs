//! The files the cluster list is read from — the kubeconfig's, and Tenantry's list of added
//! clusters — and whether any changed since last looked, so an edited kubeconfig (a new context,
//! a renewed certificate) is picked up while the app runs.

use std::path::PathBuf;
use std::time::SystemTime;

use crate::kubeconfig::Sources;

/// What a file looked like: its modification time and size, or nothing when it is missing.
type Stamp = Option<(SystemTime, u64)>;

/// The cluster list's files and how they looked when last asked.
#[derive(Debug)]
pub struct ClusterFiles {
    files: Vec<PathBuf>,
    seen: Vec<Stamp>,
}

impl ClusterFiles {
    /// The files of `sources` and the added clusters' list, as they look now.
    pub fn new(sources: &Sources) -> Self {
        let mut files = sources.files().to_vec();
        files.push(crate::paths::added_clusters_file());
        let seen = stamps(&files);
        Self { files, seen }
    }

    /// Whether any file was written, created or removed since the last call (or `new`).
    pub fn changed(&mut self) -> bool {
        let now = stamps(&self.files);
        let changed = now != self.seen;
        self.seen = now;
        changed
    }
}

fn stamps(files: &[PathBuf]) -> Vec<Stamp> {
    files
        .iter()
        .map(|file| std::fs::metadata(file).ok().and_then(|meta| Some((meta.modified().ok()?, meta.len()))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writing_creating_or_removing_a_file_is_a_change_and_looking_again_is_not() {
        let dir = tempfile::tempdir().expect("temp dir");
        let present = dir.path().join("config");
        let later = dir.path().join("later");
        std::fs::write(&present, "apiVersion: v1\n").expect("write");
        let mut files = ClusterFiles::new(&Sources::List(vec![present.clone(), later.clone()]));
        assert!(!files.changed());
        std::fs::write(&present, "apiVersion: v1\nkind: Config\n").expect("edit");
        assert!(files.changed());
        assert!(!files.changed(), "a change is told once");
        std::fs::write(&later, "apiVersion: v1\n").expect("create");
        assert!(files.changed());
        std::fs::remove_file(&present).expect("remove");
        assert!(files.changed());
    }
}
