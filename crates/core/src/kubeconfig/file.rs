//! Reads and decodes one kubeconfig file the way client-go does, before any merging.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use kube::config::{AuthInfo, Cluster};
use serde::Deserialize;

use super::LoadError;

/// One decoded kubeconfig file, with relative paths already resolved against its folder.
#[derive(Debug, Default)]
pub(super) struct KubeconfigFile {
    pub current_context: Option<String>,
    pub clusters: Vec<(String, Option<Cluster>)>,
    pub users: Vec<(String, Option<AuthInfo>)>,
    pub contexts: Vec<(String, Option<ContextRef>)>,
}

/// The body of a context entry; every field may be absent, as in client-go.
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct ContextRef {
    #[serde(default, deserialize_with = "null_as_default")]
    pub cluster: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub user: String,
    #[serde(default)]
    pub namespace: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawFile {
    #[serde(rename = "apiVersion", default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(rename = "current-context", default)]
    current_context: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    clusters: Vec<RawNamedCluster>,
    #[serde(default, deserialize_with = "null_as_default")]
    users: Vec<RawNamedUser>,
    #[serde(default, deserialize_with = "null_as_default")]
    contexts: Vec<RawNamedContext>,
    #[serde(default, deserialize_with = "null_as_default")]
    extensions: Vec<RawNamedExtension>,
}

#[derive(Deserialize)]
struct RawNamedCluster {
    #[serde(default, deserialize_with = "null_as_default")]
    name: String,
    #[serde(default)]
    cluster: Option<Cluster>,
}

#[derive(Deserialize)]
struct RawNamedUser {
    #[serde(default, deserialize_with = "null_as_default")]
    name: String,
    #[serde(default)]
    user: Option<AuthInfo>,
}

#[derive(Deserialize)]
struct RawNamedContext {
    #[serde(default, deserialize_with = "null_as_default")]
    name: String,
    #[serde(default)]
    context: Option<ContextRef>,
}

#[derive(Deserialize)]
struct RawNamedExtension {
    #[serde(default, deserialize_with = "null_as_default")]
    name: String,
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Reads `path`; `Ok(None)` when the file does not exist.
pub(super) fn read(path: &Path) -> Result<Option<KubeconfigFile>, LoadError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(LoadError::Read { path: path.to_owned(), source }),
    };
    let text = decode_text(&bytes).ok_or_else(|| LoadError::Encoding { path: path.to_owned() })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    parse(&text, &dir).map(Some).map_err(|reason| LoadError::Invalid { path: path.to_owned(), reason })
}

/// Decodes UTF-8 (with or without BOM) and UTF-16 with a BOM, as client-go does.
fn decode_text(bytes: &[u8]) -> Option<String> {
    let utf16 = |chunks: &mut dyn Iterator<Item = u16>| String::from_utf16(&chunks.collect::<Vec<_>>()).ok();
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(&mut rest.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]))),
        [0xFE, 0xFF, rest @ ..] => utf16(&mut rest.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]))),
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8(rest.to_vec()).ok(),
        _ => String::from_utf8(bytes.to_vec()).ok(),
    }
}

/// Parses the first YAML document of `text`; `dir` resolves relative paths.
pub(super) fn parse(text: &str, dir: &Path) -> Result<KubeconfigFile, String> {
    let first = serde_yaml::Deserializer::from_str(text).next();
    let value = match first {
        None => serde_yaml::Value::Null,
        Some(document) => serde_yaml::Value::deserialize(document).map_err(|err| err.to_string())?,
    };
    let raw: RawFile = match value {
        serde_yaml::Value::Null => RawFile::default(),
        serde_yaml::Value::Mapping(_) => serde_yaml::from_value(value).map_err(|err| err.to_string())?,
        _ => return Err("the file is not a YAML mapping".into()),
    };
    check_type(&raw)?;
    check_unique("cluster", raw.clusters.iter().map(|c| &c.name))?;
    check_unique("user", raw.users.iter().map(|u| &u.name))?;
    check_unique("context", raw.contexts.iter().map(|c| &c.name))?;
    check_unique("extension", raw.extensions.iter().map(|e| &e.name))?;
    for cluster in raw.clusters.iter().filter_map(|c| c.cluster.as_ref()) {
        check_base64("certificate-authority-data", cluster.certificate_authority_data.as_deref())?;
    }
    for user in raw.users.iter().filter_map(|u| u.user.as_ref()) {
        check_base64("client-certificate-data", user.client_certificate_data.as_deref())?;
        let key = user.client_key_data.as_ref().map(|k| secret_str(k).to_owned());
        check_base64("client-key-data", key.as_deref())?;
    }
    Ok(KubeconfigFile {
        current_context: raw.current_context.filter(|c| !c.is_empty()),
        clusters: raw
            .clusters
            .into_iter()
            .map(|c| (c.name, c.cluster.map(|cluster| resolve_cluster_paths(cluster, dir))))
            .collect(),
        users: raw.users.into_iter().map(|u| (u.name, u.user.map(|user| resolve_user_paths(user, dir)))).collect(),
        contexts: raw.contexts.into_iter().map(|c| (c.name, c.context)).collect(),
    })
}

fn secret_str(secret: &secrecy::SecretString) -> &str {
    use secrecy::ExposeSecret as _;
    secret.expose_secret()
}

fn check_type(raw: &RawFile) -> Result<(), String> {
    let version = raw.api_version.as_deref().unwrap_or_default();
    let kind = raw.kind.as_deref().unwrap_or_default();
    if !version.is_empty() && version != "v1" {
        return Err(format!("apiVersion \"{version}\" is not a kubeconfig version (expected v1)"));
    }
    if !kind.is_empty() && kind != "Config" {
        return Err(format!("kind \"{kind}\" is not a kubeconfig (expected Config)"));
    }
    Ok(())
}

fn check_unique<'a>(what: &str, names: impl Iterator<Item = &'a String>) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err(format!("duplicate {what} name \"{name}\""));
        }
    }
    Ok(())
}

fn check_base64(field: &str, data: Option<&str>) -> Result<(), String> {
    match data {
        Some(data) => base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .map(drop)
            .map_err(|err| format!("{field} is not valid base64: {err}")),
        None => Ok(()),
    }
}

fn resolve(dir: &Path, path: Option<String>) -> Option<String> {
    path.map(
        |p| if p.is_empty() || Path::new(&p).is_absolute() { p } else { dir.join(p).to_string_lossy().into_owned() },
    )
}

fn resolve_cluster_paths(mut cluster: Cluster, dir: &Path) -> Cluster {
    cluster.certificate_authority = resolve(dir, cluster.certificate_authority.take());
    cluster
}

fn resolve_user_paths(mut user: AuthInfo, dir: &Path) -> AuthInfo {
    user.client_certificate = resolve(dir, user.client_certificate.take());
    user.client_key = resolve(dir, user.client_key.take());
    user.token_file = resolve(dir, user.token_file.take());
    if let Some(exec) = user.exec.as_mut() {
        // client-go resolves the command only when it names a path, not a program on PATH.
        if exec.command.as_deref().is_some_and(|c| c.contains(std::path::MAIN_SEPARATOR)) {
            exec.command = resolve(dir, exec.command.take());
        }
    }
    user
}

/// The kubeconfig files kubectl would read, in merge order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sources {
    /// An explicit file (`--kubeconfig`): must exist; never merged.
    Explicit(PathBuf),
    /// The `KUBECONFIG` list: merged in order; missing files are skipped.
    List(Vec<PathBuf>),
    /// `~/.kube/config`: may be absent.
    Default(PathBuf),
}

impl Sources {
    /// The sources kubectl uses for this environment: `KUBECONFIG` if set and not empty,
    /// else `~/.kube/config`.
    pub fn from_env() -> Self {
        let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf()).unwrap_or_default();
        Self::from_parts(std::env::var_os("KUBECONFIG").as_deref(), &home)
    }

    /// As [`Sources::from_env`], with the environment passed in.
    pub fn from_parts(kubeconfig_var: Option<&std::ffi::OsStr>, home: &Path) -> Self {
        let mut list: Vec<PathBuf> = Vec::new();
        for path in std::env::split_paths(kubeconfig_var.unwrap_or_default()) {
            if !path.as_os_str().is_empty() && !list.contains(&path) {
                list.push(path);
            }
        }
        if list.is_empty() { Self::Default(home.join(".kube").join("config")) } else { Self::List(list) }
    }

    /// The files, in merge order.
    pub fn files(&self) -> &[PathBuf] {
        match self {
            Self::Explicit(path) | Self::Default(path) => std::slice::from_ref(path),
            Self::List(paths) => paths,
        }
    }
}
