//! One kubeconfig context resolved to its cluster and user, checked the way kubectl checks it
//! when it is used, and turned into a client configuration.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kube::client::ConfigExt as _;
use kube::config::{AuthInfo, Cluster, KubeConfigOptions, NamedAuthInfo, NamedCluster, NamedContext};
use secrecy::SecretString;

use super::file::ContextRef;
use super::{AuthKind, AuthMethod, ContextError};
use crate::credentials;

/// One context: what it points to, how it authenticates, and whether it can be used.
#[derive(Debug, Clone)]
pub struct ContextEntry {
    /// Context name.
    pub name: String,
    /// Cluster entry name the context points to (may name a missing entry).
    pub cluster: String,
    /// Server URL of the cluster entry, when the entry exists.
    pub server: Option<String>,
    /// User entry name (empty when the context names none).
    pub user: String,
    /// Default namespace.
    pub namespace: Option<String>,
    /// How the context authenticates.
    pub auth: AuthKind,
    /// Whether it is the kubeconfig's current context.
    pub current: bool,
    /// Why the context cannot be used, if it cannot.
    pub problem: Option<ContextError>,
    resolved: Option<(Cluster, AuthInfo)>,
    /// The kubeconfig file the user entry comes from.
    user_file: Option<PathBuf>,
    held_token: Option<HeldToken>,
}

/// A bearer token Tenantry holds for a cluster added without a kubeconfig.
#[derive(Debug, Clone)]
enum HeldToken {
    /// Read from the OS keyring each time a client is built.
    Keyring,
    /// Typed in by the user and not stored yet (the connection is checked first).
    Given(SecretString),
}

impl ContextEntry {
    /// Resolves `context` against its cluster entry (`None`: missing) and user entry
    /// (`None`: no user named; `Some(None)`: named but missing), read from `user_file`.
    pub(super) fn resolve(
        name: &str,
        context: ContextRef,
        cluster: Option<Cluster>,
        user: Option<Option<AuthInfo>>,
        user_file: Option<PathBuf>,
        current: bool,
    ) -> Self {
        let auth = match &user {
            None => AuthKind::NoUserRef,
            Some(None) => AuthKind::MissingUser,
            Some(Some(user)) => AuthKind::of(user),
        };
        let server = cluster.as_ref().map(|c| c.server.clone().unwrap_or_default());
        let (problem, resolved) = split(check(name, &context, cluster, user, &auth));
        Self {
            name: name.to_owned(),
            cluster: context.cluster,
            server,
            user: context.user,
            namespace: context.namespace.filter(|n| !n.is_empty()),
            auth,
            current,
            problem,
            resolved,
            user_file,
            held_token: None,
        }
    }

    /// A cluster added in Tenantry: `server`, its certificate authority (base64 PEM; `None`
    /// trusts the system's roots) and a bearer token read from the OS keyring, or `given` when
    /// the connection is checked before the token is stored.
    pub(crate) fn added(
        name: &str,
        server: &str,
        certificate_authority_data: Option<String>,
        given: Option<SecretString>,
    ) -> Self {
        let context = ContextRef { cluster: name.to_owned(), user: KEYRING_USER.to_owned(), namespace: None };
        let cluster = Cluster { server: Some(server.to_owned()), certificate_authority_data, ..Default::default() };
        let auth = AuthKind::Methods(vec![AuthMethod::KeyringToken]);
        let (problem, resolved) = split(check(name, &context, Some(cluster), Some(Some(AuthInfo::default())), &auth));
        Self {
            name: name.to_owned(),
            cluster: context.cluster,
            server: Some(server.to_owned()),
            user: context.user,
            namespace: None,
            auth,
            current: false,
            problem,
            resolved,
            user_file: None,
            held_token: Some(given.map_or(HeldToken::Keyring, HeldToken::Given)),
        }
    }

    /// A digest of everything the context connects with (server, certificates, credentials,
    /// namespace) or of why it cannot be used: equal digests, same connection. An OIDC entry's
    /// tokens are left out: renewing them (written back to the file) is the same connection.
    pub fn fingerprint(&self) -> String {
        use sha2::Digest as _;
        let resolved = self.resolved.as_ref().map(|(cluster, user)| {
            let mut user = user.clone();
            if let Some(provider) = user.auth_provider.as_mut() {
                provider.config.retain(|key, _| !credentials::OIDC_TOKENS.contains(&key.as_str()));
            }
            (serde_json::to_string(cluster).unwrap_or_default(), serde_json::to_string(&user).unwrap_or_default())
        });
        let problem = self.problem.as_ref().map(ToString::to_string);
        let described = format!("{resolved:?}\n{problem:?}\n{:?}\n{}", self.namespace, self.is_added());
        sha2::Sha256::digest(described.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// The user entry the context resolved to, when it can be used.
    pub(super) fn resolved_user(&self) -> Option<&AuthInfo> {
        self.resolved.as_ref().map(|(_, user)| user)
    }

    /// Whether the context was added in Tenantry (its token is in the OS keyring).
    pub fn is_added(&self) -> bool {
        self.held_token.is_some()
    }

    /// The slot of the credential plugin this context's user runs, or of its OIDC entry.
    pub fn credential_slot(&self) -> Option<Arc<credentials::Slot>> {
        let (cluster, user) = self.resolved.as_ref()?;
        if let Some(provider) = user.auth_provider.as_ref().filter(|provider| provider.name == "oidc") {
            return Some(credentials::oidc_slot(&self.user, &provider.config, self.user_file.clone()));
        }
        let plugin = user.exec.as_ref()?;
        let info = serde_json::json!({
            "server": cluster.server,
            "certificate-authority-data": cluster.certificate_authority_data,
            "insecure-skip-tls-verify": cluster.insecure_skip_tls_verify.unwrap_or_default(),
            "tls-server-name": cluster.tls_server_name,
            "proxy-url": cluster.proxy_url,
        });
        Some(credentials::slot(plugin, Some(info)))
    }

    /// A client for this context; a credential plugin's requests carry what Tenantry's
    /// provider holds for it (see [`credentials`]).
    pub async fn client(&self) -> Result<kube::Client, ContextError> {
        self.client_tuned(|_| {}).await
    }

    /// A client for this context, its configuration changed by `tune` first (timeouts).
    pub async fn client_tuned(&self, tune: impl FnOnce(&mut kube::Config)) -> Result<kube::Client, ContextError> {
        let mut config = self.client_config().await?;
        tune(&mut config);
        let built = match self.credential_slot() {
            Some(slot) => credentials::authorized(config, slot).await,
            None => kube::Client::try_from(config).map_err(|source| credentials::ClientError::Client(Arc::new(source))),
        };
        built.map_err(|source| ContextError::Credential { context: self.name.clone(), source })
    }

    /// The client configuration for this context, or why there is none. A credential plugin is
    /// left out (it never runs inside kube): [`Self::client`] adds what it issues.
    pub async fn client_config(&self) -> Result<kube::Config, ContextError> {
        let Some((cluster, user)) = &self.resolved else {
            return Err(self.problem.clone().unwrap_or_else(|| ContextError::MissingCluster {
                context: self.name.clone(),
                cluster: self.cluster.clone(),
            }));
        };
        let mut user = user.clone();
        match &self.held_token {
            Some(HeldToken::Given(token)) => user.token = Some(token.clone()),
            Some(HeldToken::Keyring) => {
                // A keyring read is one syscall or one D-Bus round trip, once per client built.
                let token = crate::secrets::Keyring::system().token(&self.name).map_err(|source| {
                    ContextError::KeyringToken { context: self.name.clone(), source: Arc::new(source) }
                })?;
                user.token = Some(token);
            }
            None => {}
        }
        remember_credentials(&user);
        let kubeconfig = kube::config::Kubeconfig {
            clusters: vec![NamedCluster { name: "c".into(), cluster: Some(cluster.clone()), ..Default::default() }],
            auth_infos: vec![NamedAuthInfo { name: "u".into(), auth_info: Some(user), ..Default::default() }],
            contexts: vec![NamedContext {
                name: self.name.clone(),
                context: Some(kube::config::Context {
                    cluster: "c".into(),
                    user: Some("u".into()),
                    namespace: self.namespace.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            current_context: Some(self.name.clone()),
            ..Default::default()
        };
        let options = KubeConfigOptions { context: Some(self.name.clone()), ..Default::default() };
        let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(|source| ContextError::Client { context: self.name.clone(), source: Arc::new(source) })?;
        config.auth_info.exec = None;
        if config.cluster_url.scheme_str() == Some("https") {
            let has_ca = cluster.certificate_authority.as_deref().is_some_and(|c| !c.is_empty())
                || cluster.certificate_authority_data.as_deref().is_some_and(|c| !c.is_empty());
            if has_ca && config.root_cert.as_ref().is_none_or(Vec::is_empty) {
                return Err(ContextError::EmptyCertificateAuthority { cluster: self.cluster.clone() });
            }
            config
                .rustls_client_config()
                .map_err(|source| ContextError::TlsMaterial { context: self.name.clone(), source: Arc::new(source) })?;
        }
        Ok(config)
    }
}

/// Hands the credentials a client is built with to `redact`, so no text shows them.
fn remember_credentials(user: &AuthInfo) {
    use secrecy::ExposeSecret as _;
    for secret in [&user.token, &user.password, &user.client_key_data].into_iter().flatten() {
        crate::redact::remember(secret.expose_secret());
    }
    let provider_secrets = ["id-token", "refresh-token", "access-token", "client-secret"];
    if let Some(provider) = &user.auth_provider {
        for (_, value) in provider.config.iter().filter(|(key, _)| provider_secrets.contains(&key.as_str())) {
            crate::redact::remember(value);
        }
    }
    if let Some(exec) = &user.exec {
        // `kubectl oidc-login --oidc-client-secret=…`, `--token X`, `env: [{name: API_TOKEN, …}]`.
        let args = exec.args.as_deref().unwrap_or_default();
        for (index, arg) in args.iter().enumerate() {
            match arg.split_once('=') {
                Some((flag, value)) if names_a_secret(flag) => crate::redact::remember(value),
                None if arg.starts_with('-') && names_a_secret(arg) => {
                    if let Some(value) = args.get(index + 1) {
                        crate::redact::remember(value);
                    }
                }
                _ => {}
            }
        }
        for variable in exec.env.iter().flatten() {
            if variable.get("name").is_some_and(|name| names_a_secret(name))
                && let Some(value) = variable.get("value")
            {
                crate::redact::remember(value);
            }
        }
    }
}

/// Whether a flag or variable name says it holds a credential.
fn names_a_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["secret", "token", "password", "passwd", "key", "credential"].iter().any(|word| name.contains(word))
}

/// A check's outcome as the entry keeps it: why it cannot be used, or what it resolved to.
fn split(checked: Result<(Cluster, AuthInfo), ContextError>) -> (Option<ContextError>, Option<(Cluster, AuthInfo)>) {
    match checked {
        Ok(resolved) => (None, Some(resolved)),
        Err(problem) => (Some(problem), None),
    }
}

/// The user name shown for a cluster added in Tenantry.
const KEYRING_USER: &str = "token in keyring";

/// kubectl's use-time checks (client-go's `ConfirmUsable` and client construction), stricter
/// where kubectl would silently talk to `http://localhost:8080`.
fn check(
    name: &str,
    context: &ContextRef,
    cluster: Option<Cluster>,
    user: Option<Option<AuthInfo>>,
    auth: &AuthKind,
) -> Result<(Cluster, AuthInfo), ContextError> {
    let mut cluster = cluster
        .ok_or_else(|| ContextError::MissingCluster { context: name.to_owned(), cluster: context.cluster.clone() })?;
    let server = cluster.server.clone().unwrap_or_default();
    if server.is_empty() {
        return Err(ContextError::NoServer { cluster: context.cluster.clone() });
    }
    let mut user = match user {
        None => AuthInfo::default(),
        Some(None) => {
            return Err(ContextError::MissingUser { context: name.to_owned(), user: context.user.clone() });
        }
        Some(Some(user)) => user,
    };
    check_user(&context.user, &user, auth)?;
    check_cluster(&context.cluster, &cluster, &server)?;
    // kubectl reads the files a context names before it looks at the server's scheme.
    check_readable("certificate-authority", cluster.certificate_authority.as_deref())?;
    check_readable("client-certificate", user.client_certificate.as_deref())?;
    check_readable("client-key", user.client_key.as_deref())?;
    if user.token.is_none() {
        check_readable("tokenFile", user.token_file.as_deref())?;
    }
    if server.starts_with("http://") {
        // kubectl applies neither TLS settings nor credentials to a plain-HTTP server.
        cluster = Cluster { server: Some(server), proxy_url: cluster.proxy_url, ..Default::default() };
        user = AuthInfo::default();
    } else if matches!(auth, AuthKind::None | AuthKind::NoUserRef) {
        return Err(ContextError::NoCredentials { context: name.to_owned() });
    }
    Ok((cluster, user))
}

fn check_user(name: &str, user: &AuthInfo, auth: &AuthKind) -> Result<(), ContextError> {
    let AuthKind::Methods(methods) = auth else { return Ok(()) };
    let has = |wanted: fn(&AuthMethod) -> bool| methods.iter().any(wanted);
    let bearer = has(|m| matches!(m, AuthMethod::Token | AuthMethod::TokenFile));
    let basic = has(|m| matches!(m, AuthMethod::Basic));
    let exec = has(|m| matches!(m, AuthMethod::Exec(_)));
    let provider = has(|m| matches!(m, AuthMethod::AuthProvider(_)));
    if (bearer && basic) || (exec && provider) {
        let listed: Vec<String> = methods.iter().map(ToString::to_string).collect();
        return Err(ContextError::MultipleAuthMethods { user: name.to_owned(), methods: listed.join(", ") });
    }
    if let Some(provider) = &user.auth_provider {
        if matches!(provider.name.as_str(), "gcp" | "azure") {
            return Err(ContextError::RemovedAuthProvider { user: name.to_owned(), provider: provider.name.clone() });
        }
        if let Some(data) = provider.config.get("idp-certificate-authority-data")
            && !holds_pem_certificate(data)
        {
            return Err(ContextError::OidcCertificateAuthority { user: name.to_owned() });
        }
    }
    if let Some(exec) = &user.exec {
        let version = exec.api_version.clone().unwrap_or_default();
        let supported = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"];
        if !supported.contains(&version.as_str()) {
            return Err(ContextError::ExecApiVersion { user: name.to_owned(), api_version: version });
        }
        if version.ends_with("/v1") && exec.interactive_mode.is_none() {
            return Err(ContextError::ExecInteractiveMode { user: name.to_owned() });
        }
        let env = exec.env.iter().flatten();
        if env.into_iter().any(|var| var.get("name").is_none_or(|n| n.is_empty())) {
            return Err(ContextError::ExecEnvName { user: name.to_owned() });
        }
    }
    Ok(())
}

/// Whether base64 `data` decodes to at least one PEM certificate, every one of them well formed.
fn holds_pem_certificate(data: &str) -> bool {
    use base64::Engine as _;
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject as _;
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(data.trim()) else { return false };
    let certificates: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(&bytes).collect();
    certificates.is_ok_and(|certificates| !certificates.is_empty())
}

fn check_cluster(name: &str, cluster: &Cluster, server: &str) -> Result<(), ContextError> {
    if let Some(url) = cluster.proxy_url.as_deref().filter(|u| !u.is_empty()) {
        let scheme = url.split_once("://").map(|(scheme, _)| scheme).unwrap_or_default();
        if !matches!(scheme, "http" | "https" | "socks5") {
            return Err(ContextError::ProxyScheme { cluster: name.to_owned(), url: url.to_owned() });
        }
    }
    let has_ca = cluster.certificate_authority.as_deref().is_some_and(|c| !c.is_empty())
        || cluster.certificate_authority_data.as_deref().is_some_and(|c| !c.is_empty());
    if has_ca && cluster.insecure_skip_tls_verify == Some(true) && server.starts_with("https://") {
        return Err(ContextError::CaWithInsecure { cluster: name.to_owned() });
    }
    Ok(())
}

fn check_readable(what: &'static str, path: Option<&str>) -> Result<(), ContextError> {
    match path.filter(|p| !p.is_empty()) {
        Some(path) => std::fs::metadata(path).and_then(|_| std::fs::File::open(path)).map(drop).map_err(|source| {
            ContextError::UnreadableFile { what, path: Path::new(path).to_owned(), source: Arc::new(source) }
        }),
        None => Ok(()),
    }
}
