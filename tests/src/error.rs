//! Errors of the local-cluster tooling.

use std::path::PathBuf;

/// Result of the local-cluster tooling.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong while building, starting, seeding or stopping local clusters.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `build-k8s.sh` failed; its output says why (often: Go missing or too old).
    #[error("building the Kubernetes binaries failed: {0}")]
    Build(String),
    /// The test's desktop session (session bus, notification daemon) did not come up; its
    /// log files tell why (often: dunst or Xvfb missing — `scripts/setup` installs them).
    #[error("the desktop session did not come up: {0}")]
    Desktop(String),
    /// The clean Debian root could not be made or used (debootstrap, mounts, apt); root or
    /// `sudo -n` is needed.
    #[error("the clean Debian root: {0}")]
    CleanRoot(String),
    /// A file or process operation failed.
    #[error("{what}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A component did not become ready in time; its log file tells why.
    #[error("{component} of cluster {cluster} did not become ready within {seconds} s; see {}", log.display())]
    NotReady {
        /// The cluster.
        cluster: String,
        /// The component, e.g. `kube-apiserver`.
        component: String,
        /// How long we waited.
        seconds: u64,
        /// Its log file.
        log: PathBuf,
    },
    /// A component exited during start-up; its log file tells why.
    #[error("{component} of cluster {cluster} exited during start-up ({status}); see {}; it ended with:\n{tail}", log.display())]
    Exited {
        /// The cluster.
        cluster: String,
        /// The component.
        component: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// Its log file.
        log: PathBuf,
        /// The last lines of that log (the file goes away with a test's temporary folder).
        tail: String,
    },
    /// The test's OIDC issuer (Dex) refused or did not answer.
    #[error("the OIDC issuer: {0}")]
    Issuer(String),
    /// The app window could not be started or driven.
    #[error("{0}")]
    Window(String),
    /// No free loopback ports were found for a cluster's components.
    #[error("cannot find {count} free loopback ports between {lowest} and {highest}")]
    NoFreePorts {
        /// How many were wanted.
        count: usize,
        /// The lowest port tried.
        lowest: u16,
        /// The highest port tried.
        highest: u16,
    },
    /// The generated kubeconfig could not be used.
    #[error("the generated kubeconfig cannot be used")]
    Kubeconfig(#[source] tenantry_core::kubeconfig::ContextError),
    /// A request to a local cluster failed.
    #[error("{what}")]
    Kube {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// The state file of running clusters is missing or unreadable.
    #[error("no running local clusters recorded in {}", path.display())]
    NoState {
        /// The state file.
        path: PathBuf,
    },
    /// The generated kubeconfig lacks the wanted context.
    #[error("the kubeconfig has no context {0:?}")]
    NoContext(Option<String>),
    /// A certificate or key could not be generated.
    #[error("cannot generate a key")]
    Key(#[source] rcgen::Error),
    /// JSON or YAML could not be written or read.
    #[error("cannot encode or decode {what}")]
    Encoding {
        /// What.
        what: String,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Wraps an I/O error with what was being done.
pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let what = what.into();
    move |source| Error::Io { what, source }
}

/// Wraps a Kubernetes client error with what was being done.
pub(crate) fn kube(what: impl Into<String>) -> impl FnOnce(kube::Error) -> Error {
    let what = what.into();
    move |source| Error::Kube { what, source }
}
