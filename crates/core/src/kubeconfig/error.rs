//! What can be wrong with a kubeconfig: as a whole (it cannot be loaded) or per context.

use std::path::PathBuf;

use tenantry_model::{ErrorKind, UiError};

use crate::credentials::{ClientError, CredentialError};
use crate::error::ui;

/// The kubeconfig cannot be loaded at all; no cluster can be listed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// An explicitly named file does not exist: check the path.
    #[error("kubeconfig file {} does not exist", path.display())]
    Missing {
        /// The missing file.
        path: PathBuf,
    },
    /// A path in the list is a folder: point `KUBECONFIG` at files.
    #[error("kubeconfig path {} is a folder, not a file", path.display())]
    IsDirectory {
        /// The folder.
        path: PathBuf,
    },
    /// The file exists but cannot be read: check its permissions.
    #[error("cannot read kubeconfig file {}", path.display())]
    Read {
        /// The unreadable file.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },
    /// The file is neither UTF-8 nor UTF-16 with a byte-order mark.
    #[error("kubeconfig file {} is not UTF-8 or UTF-16 text", path.display())]
    Encoding {
        /// The file.
        path: PathBuf,
    },
    /// The file is not a valid kubeconfig; `reason` says where it breaks. Fix or remove it.
    #[error("kubeconfig file {} is invalid: {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, e.g. a YAML syntax error, a duplicate name, bad base64.
        reason: String,
    },
}

/// One context cannot be used; the other contexts are unaffected.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ContextError {
    /// The context names a cluster entry that does not exist: fix the context's `cluster`.
    #[error("context \"{context}\" points to cluster \"{cluster}\", which is not in the kubeconfig")]
    MissingCluster {
        /// The context.
        context: String,
        /// The name it refers to (may be empty).
        cluster: String,
    },
    /// The cluster entry has no `server` URL: add one.
    #[error("cluster \"{cluster}\" has no server URL")]
    NoServer {
        /// The cluster entry.
        cluster: String,
    },
    /// The context names a user entry that does not exist: fix the context's `user`.
    #[error("context \"{context}\" points to user \"{user}\", which is not in the kubeconfig")]
    MissingUser {
        /// The context.
        context: String,
        /// The user name it refers to.
        user: String,
    },
    /// The token of a cluster added in Tenantry cannot be read from the OS keyring: add the
    /// cluster again with its token.
    #[error("the token of cluster \"{context}\" cannot be read from the keyring")]
    KeyringToken {
        /// The added cluster.
        context: String,
        /// What the keyring reported.
        #[source]
        source: std::sync::Arc<crate::secrets::SecretError>,
    },
    /// The context reaches an HTTPS server without any credentials (kubectl would prompt for a
    /// password); give its user a token, certificate or exec plugin.
    #[error("context \"{context}\" has no credentials for its HTTPS server")]
    NoCredentials {
        /// The context.
        context: String,
    },
    /// The certificate authority is set but holds no PEM certificate.
    #[error("cluster \"{cluster}\": the certificate authority holds no PEM certificate")]
    EmptyCertificateAuthority {
        /// The cluster entry.
        cluster: String,
    },
    /// The TLS material (CA bundle, client certificate or key) cannot be used.
    #[error("context \"{context}\": the TLS certificates or key cannot be used")]
    TlsMaterial {
        /// The context.
        context: String,
        /// What the TLS library reported.
        #[source]
        source: std::sync::Arc<kube::Error>,
    },
    /// The exec credential plugin declares an unsupported or missing `apiVersion`.
    #[error("user \"{user}\": exec plugin has an invalid apiVersion \"{api_version}\"")]
    ExecApiVersion {
        /// The user entry.
        user: String,
        /// The declared version (empty if absent).
        api_version: String,
    },
    /// `client.authentication.k8s.io/v1` exec plugins must say `interactiveMode`.
    #[error("user \"{user}\": interactiveMode must be specified to use exec authentication")]
    ExecInteractiveMode {
        /// The user entry.
        user: String,
    },
    /// An exec plugin sets an environment variable without a name.
    #[error("user \"{user}\": exec plugin environment variable has no name")]
    ExecEnvName {
        /// The user entry.
        user: String,
    },
    /// The user sets more than one way to authenticate; keep exactly one.
    #[error("user \"{user}\" has more than one authentication method ({methods}); only one is allowed")]
    MultipleAuthMethods {
        /// The user entry.
        user: String,
        /// The methods found, e.g. `token, basic`.
        methods: String,
    },
    /// The user relies on a removed in-tree auth provider; use its exec plugin instead.
    #[error(
        "user \"{user}\": the {provider} auth provider has been removed from Kubernetes clients; use its exec credential plugin"
    )]
    RemovedAuthProvider {
        /// The user entry.
        user: String,
        /// `gcp` or `azure`.
        provider: String,
    },
    /// The OIDC provider's `idp-certificate-authority-data` holds no PEM certificate.
    #[error("user \"{user}\": the OIDC provider's certificate authority holds no PEM certificate")]
    OidcCertificateAuthority {
        /// The user entry.
        user: String,
    },
    /// The cluster's `proxy-url` has a scheme other than http, https or socks5.
    #[error("cluster \"{cluster}\": proxy-url \"{url}\" must use http, https or socks5")]
    ProxyScheme {
        /// The cluster entry.
        cluster: String,
        /// The proxy URL.
        url: String,
    },
    /// A certificate authority together with `insecure-skip-tls-verify` is refused; drop one.
    #[error("cluster \"{cluster}\" sets both a certificate authority and insecure-skip-tls-verify")]
    CaWithInsecure {
        /// The cluster entry.
        cluster: String,
    },
    /// A file the context needs (CA, client certificate or key, token) cannot be read.
    #[error("cannot read {what} {}", path.display())]
    UnreadableFile {
        /// What the file is for, e.g. `certificate-authority`.
        what: &'static str,
        /// The resolved path.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: std::sync::Arc<std::io::Error>,
    },
    /// The Kubernetes client library refused the context (bad PEM data, unsupported auth).
    #[error("context \"{context}\" cannot be used")]
    Client {
        /// The context.
        context: String,
        /// What the client library reported.
        #[source]
        source: std::sync::Arc<kube::config::KubeconfigError>,
    },
    /// The context's credential plugin issued nothing, or no client could be built over it.
    #[error("context \"{context}\" has no credential")]
    Credential {
        /// The context.
        context: String,
        /// Why.
        #[source]
        source: crate::credentials::ClientError,
    },
}

impl LoadError {
    /// The error as the user sees it: a kubeconfig that cannot be loaded at all.
    pub fn to_ui(&self) -> UiError {
        let err = self;
        let message = match err {
            LoadError::Missing { .. } => "The kubeconfig file does not exist.",
            LoadError::IsDirectory { .. } => "KUBECONFIG names a folder instead of a file.",
            LoadError::Read { .. } => "The kubeconfig file cannot be read; check its permissions.",
            LoadError::Encoding { .. } | LoadError::Invalid { .. } => {
                "The kubeconfig file is damaged, so no cluster can be listed; fix or remove it."
            }
        };
        ui(ErrorKind::BadKubeconfig, message, err)
    }
}

impl ContextError {
    /// The error as the user sees it: a context that cannot be used.
    pub fn to_ui(&self) -> UiError {
        let err = self;
        if let ContextError::KeyringToken { .. } = err {
            return ui(
                ErrorKind::Unauthorized,
                "This cluster's token is no longer in the keyring; remove the cluster and add it again with its token.",
                err,
            );
        }
        if let ContextError::Credential { source: ClientError::Credential(source), .. } = err {
            let message = match source {
                CredentialError::PluginNotFound { .. } => {
                    "This cluster's credential plugin is not installed, or not on the PATH searched."
                }
                CredentialError::NeedsSignIn { .. } | CredentialError::Failed { .. } => {
                    "This cluster needs you to sign in: use Sign in on the Clusters view."
                }
                _ => "This cluster's credential plugin gave no usable credential.",
            };
            return ui(ErrorKind::Unauthorized, message, err);
        }
        let message = match err {
            ContextError::MissingCluster { .. } | ContextError::NoServer { .. } => {
                "This context has no cluster address; fix its cluster entry in the kubeconfig."
            }
            ContextError::MissingUser { .. } => "This context's user is missing from the kubeconfig.",
            ContextError::UnreadableFile { .. } => "A certificate, key or token file of this context cannot be read.",
            ContextError::Credential { .. } => {
                "The connection settings of this context cannot be used (certificate, key or auth plugin)."
            }
            _ => "This context's settings cannot be used; fix it in the kubeconfig.",
        };
        ui(ErrorKind::BadKubeconfig, message, err)
    }
}
