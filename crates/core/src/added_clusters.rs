//! Clusters added in Tenantry by address and token instead of through a kubeconfig: their list
//! file (`clusters.yaml` in the config folder, which never holds a secret), their context
//! entries, and adding one (the connection is checked first, then the token goes to the OS
//! keyring) or removing one (the token leaves the keyring).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use tenantry_model::{AddedClusterReport, NewCluster};

use crate::cluster::{ClusterList, ProbeError, probe};
use crate::kubeconfig::{ContextEntry, Sources};
use crate::secrets::{Keyring, SecretError};

/// One added cluster as the list file keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddedCluster {
    /// The name it is listed and addressed by (a DNS-1123 label).
    pub name: String,
    /// The API server's `https://` URL.
    pub server: String,
    /// The certificate authority (base64 of PEM); `None` trusts the system's roots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_authority_data: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListFile {
    #[serde(default)]
    clusters: Vec<AddedCluster>,
}

/// Why the list file cannot be used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ListError {
    /// The file exists but cannot be read.
    #[error("cannot read {}", .path.display())]
    Read {
        /// The list file.
        path: PathBuf,
        /// What the file system reported.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The file is not a valid list.
    #[error("{} is damaged at line {line}: {message}", .path.display())]
    Invalid {
        /// The list file.
        path: PathBuf,
        /// The line the parser stopped at.
        line: usize,
        /// What the parser reported.
        message: String,
    },
    /// The file cannot be written.
    #[error("cannot write {}", .path.display())]
    Write {
        /// The list file.
        path: PathBuf,
        /// What the file system reported.
        #[source]
        source: Arc<std::io::Error>,
    },
}

/// Why a cluster was not added or removed; nothing was stored when adding fails.
#[derive(Debug, thiserror::Error)]
pub enum AddClusterError {
    /// A field is empty or malformed.
    #[error("{field} {problem}")]
    Invalid {
        /// The field, as the form labels it.
        field: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The name is already a context of the kubeconfig or an added cluster.
    #[error("a cluster named {name:?} already exists")]
    Taken {
        /// The name typed.
        name: String,
    },
    /// No added cluster has this name (kubeconfig contexts are removed in the kubeconfig).
    #[error("no cluster named {name:?} was added in Tenantry")]
    Unknown {
        /// The name given.
        name: String,
    },
    /// The connection check failed: unreachable, token rejected, certificate not trusted.
    #[error("the cluster could not be verified with this token")]
    Verify(#[source] ProbeError),
    /// The keyring refused the token.
    #[error(transparent)]
    Keyring(#[from] SecretError),
    /// The list file cannot be read or written.
    #[error(transparent)]
    List(#[from] ListError),
}

/// The added clusters and the file they came from.
#[derive(Debug, Clone, Default)]
pub struct AddedClusters {
    /// The list file.
    pub path: PathBuf,
    /// The clusters, in the order they were added.
    pub clusters: Vec<AddedCluster>,
}

impl AddedClusters {
    /// Reads the list at `path`; an absent file is an empty list.
    pub fn load(path: &Path) -> Result<Self, ListError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => return Err(ListError::Read { path: path.to_owned(), source: Arc::new(source) }),
        };
        let file: ListFile = if text.trim().is_empty() {
            ListFile::default()
        } else {
            serde_yaml::from_str(&text).map_err(|err| ListError::Invalid {
                path: path.to_owned(),
                line: err.location().map_or(1, |l| l.line()),
                message: err.to_string(),
            })?
        };
        Ok(Self { path: path.to_owned(), clusters: file.clusters })
    }

    /// One context entry per added cluster; each reads its token from the keyring when used.
    pub fn entries(&self) -> Vec<ContextEntry> {
        self.clusters
            .iter()
            .map(|c| ContextEntry::added(&c.name, &c.server, c.certificate_authority_data.clone(), None))
            .collect()
    }

    /// Writes the list: to a sibling file first, then renamed over the old one.
    fn save(&self) -> Result<(), ListError> {
        let write_error = |source| ListError::Write { path: self.path.clone(), source: Arc::new(source) };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(write_error)?;
        }
        let text = serde_yaml::to_string(&ListFile { clusters: self.clusters.clone() })
            .map_err(|err| write_error(std::io::Error::other(err)))?;
        let fresh = self.path.with_extension("yaml.new");
        std::fs::write(&fresh, text).and_then(|()| std::fs::rename(&fresh, &self.path)).map_err(write_error)
    }
}

/// Checks `request`, connects with its token (version and identity within `timeout`), then
/// stores the token in `keyring` and the cluster in the list at `path`. `taken` lists the names
/// already in use. Nothing is stored unless every step succeeds.
pub async fn add(
    request: NewCluster,
    taken: &[String],
    keyring: Keyring,
    path: &Path,
    timeout: Duration,
) -> Result<AddedClusterReport, AddClusterError> {
    let NewCluster { name, server, certificate_authority, token } = request;
    let token = SecretString::from(token.trim().to_owned());
    let checked = check(&name, &server, &certificate_authority, &token)?;
    if taken.contains(&checked.name) {
        return Err(AddClusterError::Taken { name: checked.name });
    }
    let mut list = AddedClusters::load(path)?;
    let entry = ContextEntry::added(
        &checked.name,
        &checked.server,
        checked.certificate_authority_data.clone(),
        Some(token.clone()),
    );
    if let Some(problem) = &entry.problem {
        return Err(AddClusterError::Verify(ProbeError::Context(problem.clone())));
    }
    let report = probe(&entry, timeout).await.map_err(AddClusterError::Verify)?;
    keyring.store_token(&checked.name, &token)?;
    list.clusters.push(checked.clone());
    if let Err(err) = list.save() {
        if let Err(cleanup) = keyring.forget_token(&checked.name) {
            tracing::warn!(error = %crate::error::chain(&cleanup), "the token of a cluster not added stays in the keyring");
        }
        return Err(err.into());
    }
    tracing::info!(cluster = %checked.name, server = %checked.server, keyring = %keyring.backend(), "cluster added");
    Ok(AddedClusterReport {
        name: checked.name,
        server: checked.server,
        version: report.version,
        identity: report.identity,
        keyring: keyring.backend().to_string(),
    })
}

/// Removes added cluster `name` from the list at `path` and its token from `keyring`.
pub fn remove(name: &str, keyring: Keyring, path: &Path) -> Result<(), AddClusterError> {
    let mut list = AddedClusters::load(path)?;
    let before = list.clusters.len();
    list.clusters.retain(|c| c.name != name);
    if list.clusters.len() == before {
        return Err(AddClusterError::Unknown { name: name.to_owned() });
    }
    list.save()?;
    keyring.forget_token(name)?;
    tracing::info!(cluster = %name, "cluster removed");
    Ok(())
}

/// The request's fields checked and normalised: name a DNS-1123 label, server an `https://`
/// URL, the certificate authority PEM (or empty), the token one line of printable characters.
fn check(
    name: &str,
    server: &str,
    certificate_authority: &str,
    token: &SecretString,
) -> Result<AddedCluster, AddClusterError> {
    let invalid = |field, problem: &str| Err(AddClusterError::Invalid { field, problem: problem.to_owned() });
    let name = name.trim();
    if name.is_empty() {
        return invalid("name", "is empty");
    }
    if name.len() > 63 || !crate::actions::validate::is_dns_label(name) {
        return invalid(
            "name",
            "may only hold lower-case letters, digits and '-' (at most 63), starting and ending with a letter or digit",
        );
    }
    let server = server.trim().trim_end_matches('/');
    match server.parse::<http::Uri>() {
        Ok(uri) if uri.scheme_str() == Some("https") && uri.host().is_some_and(|h| !h.is_empty()) => {}
        Ok(uri) if uri.scheme_str() == Some("http") => {
            return invalid("server", "must use https: a token is never sent over plain http");
        }
        _ => return invalid("server", "must be an https:// URL such as https://k8s.example.com:6443"),
    }
    let certificate_authority = certificate_authority.trim();
    let certificate_authority_data = if certificate_authority.is_empty() {
        None
    } else if let Some(pem) = normalised_pem(certificate_authority).filter(|pem| holds_certificates(pem)) {
        Some(base64::engine::general_purpose::STANDARD.encode(pem))
    } else {
        return invalid(
            "certificate authority",
            "is neither a PEM certificate (-----BEGIN CERTIFICATE----- …) nor a kubeconfig's certificate-authority-data",
        );
    };
    let token = token.expose_secret();
    if token.trim().is_empty() {
        return invalid("token", "is empty");
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return invalid("token", "must be one line without spaces");
    }
    Ok(AddedCluster { name: name.to_owned(), server: server.to_owned(), certificate_authority_data })
}

/// The certificates of `text` as canonical PEM (64-character lines). `text` is PEM — possibly
/// with its line breaks lost on the way, as a single-line field or a chat leaves it — or the
/// base64 of PEM that a kubeconfig's `certificate-authority-data` holds.
fn normalised_pem(text: &str) -> Option<String> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    if !text.contains(BEGIN) {
        let compact: String = text.split_whitespace().collect();
        let decoded = base64::engine::general_purpose::STANDARD.decode(compact).ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        return if decoded.contains(BEGIN) { normalised_pem(&decoded) } else { None };
    }
    let mut pem = String::new();
    for block in text.split(BEGIN).skip(1) {
        let (body, _) = block.split_once(END)?;
        let body: String = body.split_whitespace().collect();
        pem.push_str(BEGIN);
        pem.push('\n');
        for line in body.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).ok()?);
            pem.push('\n');
        }
        pem.push_str(END);
        pem.push('\n');
    }
    Some(pem)
}

/// Whether `pem` holds at least one certificate, every one of them well formed.
fn holds_certificates(pem: &str) -> bool {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject as _;
    let certificates: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(pem.as_bytes()).collect();
    certificates.is_ok_and(|certificates| !certificates.is_empty())
}

impl ClusterList {
    /// Loads the kubeconfig from `sources`, then adds the clusters added in Tenantry (the list
    /// in the config folder). A damaged list is logged and left out; adding refuses to touch it.
    pub fn load_with_added(sources: &Sources) -> Self {
        let mut list = Self::load(sources);
        match AddedClusters::load(&crate::paths::added_clusters_file()) {
            Ok(added) => list.add(&added),
            Err(err) => tracing::warn!(error = %crate::error::chain(&err), "added clusters left out"),
        }
        list
    }

    /// Appends the `added` clusters; a name the kubeconfig already uses keeps the kubeconfig's.
    pub fn add(&mut self, added: &AddedClusters) {
        for entry in added.entries() {
            if self.entries.iter().any(|e| e.name == entry.name) {
                tracing::warn!(cluster = %entry.name, "an added cluster has a kubeconfig context's name; left out");
                continue;
            }
            self.entries.push(entry);
        }
        self.entries.sort_by(|a, b| a.name.cmp(&b.name));
    }
}

impl AddClusterError {
    /// The error as the user sees it: a cluster that was not added or removed.
    pub fn to_ui(&self) -> tenantry_model::UiError {
        let err = self;
        match err {
            AddClusterError::Invalid { field, problem } => {
                crate::error::ui(tenantry_model::ErrorKind::Invalid, format!("The {field} {problem}."), err)
            }
            AddClusterError::Taken { name } => crate::error::ui(
                tenantry_model::ErrorKind::Invalid,
                format!("A cluster named {name} already exists; choose another name."),
                err,
            ),
            AddClusterError::Unknown { name } => crate::error::ui(
                tenantry_model::ErrorKind::Invalid,
                format!("{name} comes from the kubeconfig; remove it there, not in Tenantry."),
                err,
            ),
            AddClusterError::Verify(ProbeError::Request(kube::Error::Api(status))) if status.code == 401 => {
                crate::error::ui(
                    tenantry_model::ErrorKind::Unauthorized,
                    "The cluster rejected this token; check that it is complete and has not expired.",
                    err,
                )
            }
            AddClusterError::Verify(probe) => {
                let mut shown = probe.to_ui();
                shown.detail = crate::error::chain(err);
                shown
            }
            AddClusterError::Keyring(_) => crate::error::ui(
                tenantry_model::ErrorKind::Internal,
                "The OS keyring refused the token (is it locked?); nothing was added.",
                err,
            ),
            AddClusterError::List(_) => crate::error::ui(
                tenantry_model::ErrorKind::Internal,
                "Tenantry's list of added clusters cannot be written or is damaged; nothing was changed.",
                err,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused_field(name: &str, server: &str, ca: &str, token: &str) -> &'static str {
        match check(name, server, ca, &SecretString::from(token)) {
            Err(AddClusterError::Invalid { field, .. }) => field,
            other => panic!("{name} {server} {token}: expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn bad_fields_are_refused_by_name() {
        let ok = "https://k8s.example.com:6443";
        let cases = [
            ("", ok, "", "t", "name"),
            ("Prod", ok, "", "t", "name"),
            ("-prod", ok, "", "t", "name"),
            ("prod", "http://k8s.example.com", "", "t", "server"),
            ("prod", "k8s.example.com", "", "t", "server"),
            ("prod", "https://", "", "t", "server"),
            ("prod", ok, "not a certificate", "t", "certificate authority"),
            ("prod", ok, "", "  ", "token"),
            ("prod", ok, "", "two words", "token"),
            ("prod", ok, "", "line\nbreak", "token"),
        ];
        for (name, server, ca, token, field) in cases {
            assert_eq!(refused_field(name, server, ca, token), field, "{name:?} {server:?} {ca:?} {token:?}");
        }
    }

    #[test]
    fn accepted_fields_are_normalised() {
        let cluster =
            check(" prod-eu ", "https://k8s.example.com:6443/", "", &SecretString::from("abc.def")).expect("ok");
        assert_eq!(cluster.name, "prod-eu");
        assert_eq!(cluster.server, "https://k8s.example.com:6443");
        assert_eq!(cluster.certificate_authority_data, None);
    }

    /// A self-signed certificate (PEM) for the normalising tests.
    fn certificate() -> String {
        rcgen::generate_simple_self_signed(vec!["k8s.example.com".into()]).expect("certificate").cert.pem()
    }

    #[test]
    fn a_certificate_authority_is_taken_as_pem_flattened_pem_or_base64() {
        let pem = certificate();
        let flattened = pem.replace('\n', " ");
        let data = base64::engine::general_purpose::STANDARD.encode(&pem);
        for given in [pem.as_str(), flattened.as_str(), data.as_str()] {
            let cluster = check("prod", "https://k8s.example.com", given, &SecretString::from("t")).expect("accepted");
            let stored = cluster.certificate_authority_data.expect("kept");
            let decoded = base64::engine::general_purpose::STANDARD.decode(stored).expect("base64");
            assert_eq!(String::from_utf8(decoded).expect("utf-8").trim(), pem.trim(), "from {given:.40}");
        }
    }

    #[test]
    fn the_list_file_round_trips_and_a_damaged_one_names_its_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(crate::paths::ADDED_CLUSTERS_FILE_NAME);
        assert!(AddedClusters::load(&path).expect("absent is empty").clusters.is_empty());
        let list = AddedClusters {
            path: path.clone(),
            clusters: vec![AddedCluster {
                name: "a".into(),
                server: "https://a".into(),
                certificate_authority_data: None,
            }],
        };
        list.save().expect("saves");
        assert_eq!(AddedClusters::load(&path).expect("loads").clusters, list.clusters);
        assert!(!std::fs::read_to_string(&path).expect("read").contains("token"), "the file never holds a token");
        std::fs::write(&path, "clusters:\n- name: a\n  server: https://a\n  token: leaked\n").expect("write");
        match AddedClusters::load(&path) {
            Err(ListError::Invalid { line, .. }) => assert_eq!(line, 4, "the unknown field's line"),
            other => panic!("expected a damaged list, got {other:?}"),
        }
    }
}
