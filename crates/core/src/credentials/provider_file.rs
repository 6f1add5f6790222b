//! An OIDC user entry's tokens in the kubeconfig file that holds it: read fresh before each
//! renewal (kubectl or another Tenantry may have renewed them meanwhile) and written back after,
//! as kubectl does, under kubectl's own lock (`<file>.lock`, created exclusively), replacing the
//! file atomically with its permissions kept.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use secrecy::{ExposeSecret as _, SecretString};
use serde_yaml::{Mapping, Value};

/// How long a writer waits for another's lock before it takes the lock as left behind.
const LOCK_WAIT: Duration = Duration::from_secs(30);
/// How often a waiting writer looks again.
const LOCK_POLL: Duration = Duration::from_millis(50);
/// A lock older than this was left by a writer that died: it is removed.
const STALE_LOCK: Duration = Duration::from_secs(60);

/// The tokens of one OIDC user entry.
#[derive(Clone, Default)]
pub struct ProviderTokens {
    /// `id-token`: what requests carry.
    pub id_token: Option<SecretString>,
    /// `refresh-token`: what renews the id-token.
    pub refresh_token: Option<SecretString>,
}

/// Why the tokens could not be read from or written to the file; never carries a token.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderFileError {
    /// The file could not be read, written or replaced.
    #[error("cannot {what} {}", .path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What the system reported.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The file no longer holds the entry where it was (edited meanwhile, or not one YAML document).
    #[error("{} no longer holds an OIDC auth-provider for user \"{user}\" in one YAML document", .path.display())]
    EntryGone {
        /// The file.
        path: PathBuf,
        /// The user entry.
        user: String,
    },
}

/// Holds `<file>.lock` while alive; removes it when dropped.
pub struct FileLock(PathBuf);

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Takes kubectl's lock on `file`, waiting while another writer holds it; a lock older than
/// [`STALE_LOCK`], or one still there after [`LOCK_WAIT`], is taken as left behind and replaced.
/// `None` when no lock file can be made (a read-only folder): the caller goes on unlocked.
pub async fn lock(file: &Path) -> Option<FileLock> {
    let lock = lock_path(file);
    let started = tokio::time::Instant::now();
    loop {
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&lock) {
            Ok(_) => return Some(FileLock(lock)),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                let age = std::fs::metadata(&lock)
                    .and_then(|meta| meta.modified())
                    .ok()
                    .and_then(|modified| SystemTime::now().duration_since(modified).ok());
                if age.is_some_and(|age| age > STALE_LOCK) || started.elapsed() > LOCK_WAIT {
                    tracing::warn!(lock = %lock.display(), "taking over a kubeconfig lock its writer left behind");
                    if let Err(error) = std::fs::remove_file(&lock) {
                        tracing::warn!(lock = %lock.display(), %error, "cannot remove the lock; going on without it");
                        return None;
                    }
                    continue;
                }
                tokio::time::sleep(LOCK_POLL).await;
            }
            Err(error) => {
                tracing::warn!(lock = %lock.display(), %error, "cannot lock the kubeconfig; going on without the lock");
                return None;
            }
        }
    }
}

/// The lock kubectl takes on `file`: the file the path leads to, with `.lock` appended.
fn lock_path(file: &Path) -> PathBuf {
    let mut lock = real_path(file).into_os_string();
    lock.push(".lock");
    PathBuf::from(lock)
}

/// The file `path` leads to (a symlinked `~/.kube/config` is written where it points).
fn real_path(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}

/// The tokens the OIDC entry of `user` in `file` holds now.
pub fn read(file: &Path, user: &str) -> Result<ProviderTokens, ProviderFileError> {
    let document = read_document(file, user)?;
    let config = provider_config(&document).and_then(|users| find_config(users, user));
    let config = config.ok_or_else(|| ProviderFileError::EntryGone { path: file.to_owned(), user: user.to_owned() })?;
    let token = |key: &str| config.get(key).and_then(Value::as_str).filter(|t| !t.is_empty()).map(SecretString::from);
    Ok(ProviderTokens { id_token: token("id-token"), refresh_token: token("refresh-token") })
}

/// Writes `tokens` into the OIDC entry of `user` in `file`, leaving everything else as it was
/// (kubectl rewrites the file the same way: comments do not survive).
pub fn write(file: &Path, user: &str, tokens: &ProviderTokens) -> Result<(), ProviderFileError> {
    let path = real_path(file);
    let mut document = read_document(&path, user)?;
    let gone = || ProviderFileError::EntryGone { path: file.to_owned(), user: user.to_owned() };
    let config = find_config_mut(&mut document, user).ok_or_else(gone)?;
    for (key, token) in [("id-token", &tokens.id_token), ("refresh-token", &tokens.refresh_token)] {
        match token {
            Some(token) => config.insert(key.into(), token.expose_secret().into()),
            None => config.remove(key),
        };
    }
    let text = serde_yaml::to_string(&document).map_err(|_| gone())?;
    replace(&path, text.as_bytes())
}

/// The file's only YAML document; `user` names the entry looked for, for the error.
fn read_document(path: &Path, user: &str) -> Result<Value, ProviderFileError> {
    use serde::Deserialize as _;
    let text = std::fs::read_to_string(path).map_err(|source| ProviderFileError::Io {
        what: "read",
        path: path.to_owned(),
        source: Arc::new(source),
    })?;
    let mut documents = serde_yaml::Deserializer::from_str(text.trim_start_matches('\u{feff}'));
    let gone = || ProviderFileError::EntryGone { path: path.to_owned(), user: user.to_owned() };
    let first = documents.next().ok_or_else(gone)?;
    let value = Value::deserialize(first).map_err(|_| gone())?;
    if documents.next().is_some() {
        return Err(gone());
    }
    Ok(value)
}

fn provider_config(document: &Value) -> Option<&Vec<Value>> {
    document.get("users")?.as_sequence()
}

fn find_config<'a>(users: &'a [Value], user: &str) -> Option<&'a Mapping> {
    let entry = users.iter().find(|entry| entry.get("name").and_then(Value::as_str) == Some(user))?;
    let provider = entry.get("user")?.get("auth-provider")?;
    (provider.get("name")?.as_str()? == "oidc").then_some(())?;
    provider.get("config")?.as_mapping()
}

fn find_config_mut<'a>(document: &'a mut Value, user: &str) -> Option<&'a mut Mapping> {
    let users = document.get_mut("users")?.as_sequence_mut()?;
    let entry = users.iter_mut().find(|entry| entry.get("name").and_then(Value::as_str) == Some(user))?;
    let provider = entry.get_mut("user")?.get_mut("auth-provider")?;
    (provider.get("name")?.as_str()? == "oidc").then_some(())?;
    provider.get_mut("config")?.as_mapping_mut()
}

/// Replaces `path` with `bytes` atomically (a file beside it, then a rename), keeping its mode.
fn replace(path: &Path, bytes: &[u8]) -> Result<(), ProviderFileError> {
    let io = |what: &'static str| {
        move |source: std::io::Error| ProviderFileError::Io { what, path: path.to_owned(), source: Arc::new(source) }
    };
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let permissions = std::fs::metadata(path).map_err(io("read"))?.permissions();
    let mut staged = tempfile::NamedTempFile::new_in(folder).map_err(io("write beside"))?;
    staged.as_file().set_permissions(permissions).map_err(io("write beside"))?;
    staged.write_all(bytes).map_err(io("write beside"))?;
    staged.as_file().sync_all().map_err(io("write beside"))?;
    staged.persist(path).map_err(|error| io("replace")(error.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = concat!(
        "apiVersion: v1\nkind: Config\nusers:\n- name: other\n  user:\n    token: keep-me\n",
        "- name: ann\n  user:\n    auth-provider:\n      name: oidc\n      config:\n",
        "        client-id: tenantry\n        idp-issuer-url: https://issuer.example\n",
        "        refresh-token: old-refresh\n",
    );

    #[test]
    fn tokens_are_written_into_the_entry_and_nothing_else_changes() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config");
        std::fs::write(&path, FILE).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("mode");
        let before = read(&path, "ann").expect("read");
        assert!(before.id_token.is_none());
        assert_eq!(before.refresh_token.as_ref().map(|t| t.expose_secret().to_owned()).as_deref(), Some("old-refresh"));

        let renewed = ProviderTokens { id_token: Some("new-id".into()), refresh_token: Some("new-refresh".into()) };
        write(&path, "ann", &renewed).expect("write back");
        let after = read(&path, "ann").expect("read again");
        assert_eq!(after.id_token.map(|t| t.expose_secret().to_owned()).as_deref(), Some("new-id"));
        assert_eq!(after.refresh_token.map(|t| t.expose_secret().to_owned()).as_deref(), Some("new-refresh"));
        let text = std::fs::read_to_string(&path).expect("text");
        for kept in ["keep-me", "client-id: tenantry", "idp-issuer-url: https://issuer.example", "kind: Config"] {
            assert!(text.contains(kept), "{kept} is kept: {text}");
        }
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the file stays private");
    }

    #[test]
    fn an_entry_that_is_gone_is_refused_and_the_file_left_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config");
        std::fs::write(&path, FILE).expect("write");
        let tokens = ProviderTokens { id_token: Some("x".into()), refresh_token: None };
        assert!(matches!(write(&path, "other", &tokens), Err(ProviderFileError::EntryGone { .. })));
        assert!(matches!(write(&path, "nobody", &tokens), Err(ProviderFileError::EntryGone { .. })));
        assert_eq!(std::fs::read_to_string(&path).expect("text"), FILE);
    }

    #[tokio::test]
    async fn a_lock_its_writer_left_behind_is_taken_over() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config");
        std::fs::write(&path, FILE).expect("write");
        let left = std::fs::File::create(lock_path(&path)).expect("a lock left behind");
        left.set_modified(SystemTime::now() - STALE_LOCK * 2).expect("an old lock");
        let taken = tokio::time::timeout(Duration::from_secs(5), lock(&path)).await.expect("no wait for a dead writer");
        assert!(taken.is_some(), "the lock is taken over");
    }

    #[tokio::test]
    async fn the_lock_waits_for_its_holder_and_is_removed_when_dropped() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config");
        std::fs::write(&path, FILE).expect("write");
        let held = lock(&path).await.expect("locked");
        assert!(lock_path(&path).exists(), "kubectl's lock file is there while held");
        let waiter = tokio::spawn({
            let path = path.clone();
            async move { lock(&path).await.is_some() }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!waiter.is_finished(), "a second writer waits");
        drop(held);
        assert!(waiter.await.expect("joins"), "and gets the lock once it is free");
        assert!(!lock_path(&path).exists(), "no lock is left behind");
    }
}
