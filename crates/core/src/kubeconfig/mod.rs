//! Loads the user's kubeconfig the way kubectl does and turns every context into an entry.
//!
//! Rules (pinned by the conformance corpus in `shared/testdata/kubeconfigs`): `KUBECONFIG` lists
//! files merged in order (missing ones skipped), else `~/.kube/config`; the first file that
//! defines a name wins the whole entry; `current-context` is the first non-empty one. Where
//! kubectl silently falls back to `http://localhost:8080` (a context without a cluster), Tenantry
//! reports the context as broken instead.

mod auth;
mod context;
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

    /// Parses a single kubeconfig document; relative paths resolve against `dir`.
    pub fn from_yaml(text: &str, dir: &std::path::Path) -> Result<Self, LoadError> {
        let file = file::parse(text, dir).map_err(|reason| LoadError::Invalid { path: dir.join("<inline>"), reason })?;
        let mut merged = Self::default();
        merged.merge(dir.join("<inline>"), file);
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
            self.users.entry(name).or_insert(user);
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
                ContextEntry::resolve(name, context, cluster, user, current)
            })
            .collect()
    }
}
