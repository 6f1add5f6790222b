//! How a kubeconfig user authenticates, named the way the conformance corpus names it.

use std::fmt;

use kube::config::AuthInfo;

/// One way of authenticating found in a user entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod {
    /// An exec credential plugin with its declared `apiVersion`.
    Exec(Option<String>),
    /// A legacy in-tree auth provider (`oidc`, `gcp`, …).
    AuthProvider(String),
    /// A bearer token written inline.
    Token,
    /// A bearer token read from a file.
    TokenFile,
    /// Username and password.
    Basic,
    /// A client certificate written inline (base64).
    ClientCertData,
    /// A client certificate read from a file.
    ClientCertFile,
    /// A bearer token Tenantry keeps in the OS keyring (clusters added without a kubeconfig).
    KeyringToken,
}

/// How a context authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthKind {
    /// The context names no user: requests are anonymous.
    NoUserRef,
    /// The context names a user that does not exist.
    MissingUser,
    /// The user entry has no credentials: requests are anonymous.
    None,
    /// The methods the user entry sets, in a fixed order.
    Methods(Vec<AuthMethod>),
}

impl AuthKind {
    /// Reads the methods a user entry sets.
    pub(super) fn of(user: &AuthInfo) -> Self {
        let mut methods = Vec::new();
        if let Some(exec) = &user.exec {
            methods.push(AuthMethod::Exec(exec.api_version.clone().filter(|v| !v.is_empty())));
        }
        if let Some(provider) = &user.auth_provider {
            methods.push(AuthMethod::AuthProvider(provider.name.clone()));
        }
        if user.token.is_some() {
            methods.push(AuthMethod::Token);
        }
        if user.token_file.as_deref().is_some_and(|f| !f.is_empty()) {
            methods.push(AuthMethod::TokenFile);
        }
        if user.username.as_deref().is_some_and(|u| !u.is_empty()) || user.password.is_some() {
            methods.push(AuthMethod::Basic);
        }
        if user.client_certificate_data.is_some() {
            methods.push(AuthMethod::ClientCertData);
        } else if user.client_certificate.as_deref().is_some_and(|c| !c.is_empty()) {
            methods.push(AuthMethod::ClientCertFile);
        }
        if methods.is_empty() { Self::None } else { Self::Methods(methods) }
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exec(Some(version)) => write!(f, "exec({version})"),
            Self::Exec(None) => f.write_str("exec(no-apiVersion)"),
            Self::AuthProvider(name) => write!(f, "auth-provider({name})"),
            Self::Token => f.write_str("token"),
            Self::TokenFile => f.write_str("tokenFile"),
            Self::Basic => f.write_str("basic"),
            Self::ClientCertData => f.write_str("client-cert-data"),
            Self::ClientCertFile => f.write_str("client-cert-file"),
            Self::KeyringToken => f.write_str("keyring-token"),
        }
    }
}

impl fmt::Display for AuthKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoUserRef => f.write_str("no user ref"),
            Self::MissingUser => f.write_str("MISSING-USER"),
            Self::None => f.write_str("none"),
            Self::Methods(methods) => {
                let names: Vec<String> = methods.iter().map(ToString::to_string).collect();
                f.write_str(&names.join("+"))
            }
        }
    }
}
