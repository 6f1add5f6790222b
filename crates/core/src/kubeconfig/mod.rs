//! Loads the user's kubeconfig the way kubectl does and turns every context into an entry.
//!
//! Rules (pinned by the conformance corpus in `shared/testdata/kubeconfigs`): `KUBECONFIG` lists
//! files merged in order (missing ones skipped), else `~/.kube/config`; the first file that
//! defines a name wins the whole entry; `current-context` is the first non-empty one. Where
//! kubectl silently falls back to `http://localhost:8080` (a context without a cluster), Tenantry
//! reports the context as broken instead.

mod auth;
mod context;
mod credential_view;
mod error;
mod file;

use std::collections::BTreeMap;
use std::path::PathBuf;

use kube::config::{AuthInfo, Cluster};

pub use auth::{AuthKind, AuthMethod};
pub use context::ContextEntry;
pub use error::{ContextError, LoadError};
pub use file::Sources;

use file::ContextRef;

/// A merged kubeconfig: every cluster, user and context from all its files.
#[derive(Debug, Default)]
pub struct Kubeconfig {
    /// Files that existed and were read, in merge order.
    pub files: Vec<PathBuf>,
    /// The current context, if any file names one.
    pub current_context: Option<String>,
    clusters: BTreeMap<String, Option<Cluster>>,
    users: BTreeMap<String, Option<AuthInfo>>,
    /// The file each user entry was taken from (an OIDC entry's renewed tokens go back there).
    user_files: BTreeMap<String, PathBuf>,
    contexts: BTreeMap<String, Option<ContextRef>>,
}

impl Kubeconfig {
    /// Loads and merges the files of `sources`.
    pub fn load(sources: &Sources) -> Result<Self, LoadError> {
        let mut merged = Self::default();
        for path in sources.files() {
            if path.is_dir() {
                return Err(LoadError::IsDirectory { path: path.clone() });
            }
            match file::read(path)? {
                Some(file) => merged.merge(path.clone(), file),
                None if matches!(sources, Sources::Explicit(_)) => {
                    return Err(LoadError::Missing { path: path.clone() });
                }
                None => tracing::debug!(path = %path.display(), "kubeconfig file absent, skipped"),
            }
        }
        Ok(merged)
    }

    fn merge(&mut self, path: PathBuf, file: file::KubeconfigFile) {
        if self.current_context.is_none() {
            self.current_context = file.current_context;
        }
        for (name, cluster) in file.clusters {
            self.clusters.entry(name).or_insert(cluster);
        }
        for (name, user) in file.users {
            if !self.users.contains_key(&name) {
                self.user_files.insert(name.clone(), path.clone());
                self.users.insert(name, user);
            }
        }
        for (name, context) in file.contexts {
            self.contexts.entry(name).or_insert(context);
        }
        self.files.push(path);
    }

    /// Names of all cluster entries, sorted.
    pub fn cluster_names(&self) -> impl Iterator<Item = &str> {
        self.clusters.keys().map(String::as_str)
    }

    /// Names of all user entries, sorted.
    pub fn user_names(&self) -> impl Iterator<Item = &str> {
        self.users.keys().map(String::as_str)
    }

    /// Whether `current-context` names a context that does not exist.
    pub fn current_context_dangles(&self) -> bool {
        self.current_context.as_ref().is_some_and(|name| !self.contexts.contains_key(name))
    }

    /// One entry per context, sorted by name, each resolved or carrying why it cannot be used.
    pub fn contexts(&self) -> Vec<ContextEntry> {
        self.contexts
            .iter()
            .map(|(name, context)| {
                let context = context.clone().unwrap_or_default();
                let cluster = self.clusters.get(&context.cluster).map(|c| c.clone().unwrap_or_default());
                let user = if context.user.is_empty() {
                    None
                } else {
                    Some(self.users.get(&context.user).map(|u| u.clone().unwrap_or_default()))
                };
                let current = self.current_context.as_deref() == Some(name.as_str());
                let user_file = self.user_files.get(&context.user).cloned();
                ContextEntry::resolve(name, context, cluster, user, user_file, current)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;
    use std::path::Path;

    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write fixture");
        path
    }

    #[test]
    fn kubeconfig_variable_is_split_deduplicated_and_falls_back_to_home() {
        let home = Path::new("/home/ann");
        let cases: [(Option<&str>, Sources); 4] = [
            (None, Sources::Default(home.join(".kube/config"))),
            (Some(""), Sources::Default(home.join(".kube/config"))),
            (Some("/a::/b:/a"), Sources::List(vec!["/a".into(), "/b".into()])),
            (Some(":/only:"), Sources::List(vec!["/only".into()])),
        ];
        for (var, expected) in cases {
            assert_eq!(Sources::from_parts(var.map(OsStr::new), home), expected, "KUBECONFIG={var:?}");
        }
    }

    #[test]
    fn first_file_wins_each_name_and_current_context_is_first_non_empty() {
        let dir = tempfile::tempdir().expect("temp dir");
        let a = write(
            dir.path(),
            "a",
            "clusters:\n- name: c\n  cluster:\n    server: https://a\ncontexts:\n- name: x\n  context:\n    cluster: c\n",
        );
        let b = write(
            dir.path(),
            "b",
            "current-context: x\nclusters:\n- name: c\n  cluster:\n    server: https://b\n- name: d\n  cluster:\n    server: https://d\n",
        );
        let merged = Kubeconfig::load(&Sources::List(vec![a, dir.path().join("missing"), b])).expect("merges");
        assert_eq!(merged.current_context.as_deref(), Some("x"));
        assert_eq!(merged.cluster_names().collect::<Vec<_>>(), vec!["c", "d"]);
        assert_eq!(merged.contexts()[0].server.as_deref(), Some("https://a"), "the first definition of c wins");
        assert_eq!(merged.files.len(), 2, "the missing file in the list is skipped");
    }

    #[test]
    fn relative_paths_resolve_against_the_defining_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("sub")).expect("sub folder");
        let text = "clusters:\n- name: c\n  cluster:\n    server: https://c\n    certificate-authority: ca.crt\n\
                    users:\n- name: u\n  user:\n    tokenFile: token\n\
                    contexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\n";
        let path = write(&dir.path().join("sub"), "config", text);
        let entry = Kubeconfig::load(&Sources::Explicit(path)).expect("loads").contexts().remove(0);
        match entry.problem {
            Some(ContextError::UnreadableFile { path, .. }) => assert_eq!(path, dir.path().join("sub/ca.crt")),
            other => panic!("expected the resolved CA path to be unreadable, got {other:?}"),
        }
    }

    /// Whether an error is the expected kind.
    type IsExpected = fn(&LoadError) -> bool;

    #[test]
    fn load_errors_name_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("nope");
        let cases: Vec<(Sources, IsExpected)> = vec![
            (Sources::Explicit(missing.clone()), |e| matches!(e, LoadError::Missing { .. })),
            (Sources::List(vec![dir.path().to_owned()]), |e| matches!(e, LoadError::IsDirectory { .. })),
            (Sources::Explicit(write(dir.path(), "bad", "clusters: [")), |e| matches!(e, LoadError::Invalid { .. })),
            (Sources::Explicit(write(dir.path(), "binary", "\u{0}\u{ff}")), |e| matches!(e, LoadError::Invalid { .. })),
        ];
        for (sources, expected) in cases {
            let err = Kubeconfig::load(&sources).expect_err("must fail");
            assert!(expected(&err), "{sources:?}: {err:?}");
            assert!(err.to_string().contains(&dir.path().display().to_string()), "names the file: {err}");
        }
        let empty = Kubeconfig::load(&Sources::Default(missing)).expect("an absent ~/.kube/config is an empty list");
        assert!(empty.contexts().is_empty());
    }
}
