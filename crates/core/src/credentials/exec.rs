//! Runs one exec credential plugin (client.authentication.k8s.io v1 or v1beta1) the way kubectl
//! does, with what kubectl lacks for a desktop app: the login shell's PATH, a time limit, no
//! terminal, and nothing the plugin prints ever kept — its stdout is read as an
//! `ExecCredential` only, its stderr is dropped or, while a person signs in, handed line by
//! line to the sign-in view.

use std::process::Stdio;
use std::time::Duration;

use kube::config::{ExecConfig, ExecInteractiveMode};
use secrecy::SecretString;
use serde::Deserialize;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader};
use tokio::sync::mpsc;

use super::CredentialError;

/// How long a plugin may run when nobody watches it (a cloud plugin takes about a second).
const UNATTENDED_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a plugin may wait for a person signing in (a device code, a browser).
const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(300);
/// How long the rest of stderr may take to arrive once the plugin has exited.
const STDERR_DRAIN: Duration = Duration::from_secs(1);
/// The most of stdout read: an `ExecCredential` is a few kilobytes.
const STDOUT_LIMIT: u64 = 1 << 20;

/// Who is there while the plugin runs.
pub enum Attendance {
    /// Nobody: the plugin is told it is not interactive, its stderr is dropped.
    Unattended,
    /// A person in the sign-in view: each line the plugin writes to stderr goes to the sender.
    SigningIn(mpsc::UnboundedSender<String>),
}

/// What a plugin issued.
#[derive(Clone)]
pub struct Issued {
    /// A bearer token.
    pub token: Option<SecretString>,
    /// A client certificate and its key (PEM), for a plugin that issues those.
    pub certificate: Option<(SecretString, SecretString)>,
    /// When the credential stops being valid; `None`: until the server refuses it.
    pub expires: Option<jiff::Timestamp>,
}

/// Runs `plugin` once. `cluster` is the `spec.cluster` a plugin with `provideClusterInfo` gets.
pub async fn run(
    plugin: &ExecConfig,
    cluster: Option<serde_json::Value>,
    attendance: Attendance,
) -> Result<Issued, CredentialError> {
    let command = plugin.command.clone().unwrap_or_default();
    let search_path = super::login_path::search_path().await;
    let program = if command.contains(std::path::MAIN_SEPARATOR) {
        std::path::PathBuf::from(&command)
    } else {
        which::which_in(&command, Some(search_path), std::env::current_dir().unwrap_or_default()).map_err(|_| {
            CredentialError::PluginNotFound {
                command: command.clone(),
                path: search_path.to_string_lossy().into_owned(),
                install_hint: plugin.install_hint.clone().filter(|h| !h.trim().is_empty()),
            }
        })?
    };
    let interactive = matches!(attendance, Attendance::SigningIn(_));
    let api_version = plugin.api_version.clone().unwrap_or_default();
    let mut spec = serde_json::json!({ "interactive": interactive });
    if let Some(cluster) = cluster.filter(|_| plugin.provide_cluster_info) {
        spec["cluster"] = cluster;
    }
    let info = serde_json::json!({ "apiVersion": api_version, "kind": "ExecCredential", "spec": spec });
    let mut process = tokio::process::Command::new(&program);
    process
        .args(plugin.args.iter().flatten())
        .env("PATH", search_path)
        .env("KUBERNETES_EXEC_INFO", info.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    for variable in plugin.env.iter().flatten() {
        if let (Some(name), Some(value)) = (variable.get("name"), variable.get("value")) {
            process.env(name, value);
        }
    }
    let mut child = process.spawn().map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => CredentialError::PluginNotFound {
            command: command.clone(),
            path: program.display().to_string(),
            install_hint: plugin.install_hint.clone(),
        },
        _ => CredentialError::Start { command: command.clone(), source: source.into() },
    })?;
    let _group = child.id().map(GroupKiller);
    let mut stdout = child.stdout.take().expect("stdout is piped").take(STDOUT_LIMIT);
    let stderr = child.stderr.take().expect("stderr is piped");
    let (timeout, lines) = match attendance {
        Attendance::Unattended => (UNATTENDED_TIMEOUT, None),
        Attendance::SigningIn(lines) => (SIGN_IN_TIMEOUT, Some(lines)),
    };
    let mut relay = tokio::spawn(relay_stderr(stderr, lines));
    let finished = async {
        let mut printed = Vec::new();
        stdout.read_to_end(&mut printed).await?;
        let status = child.wait().await?;
        Ok::<_, std::io::Error>((status, printed))
    };
    let outcome = tokio::time::timeout(timeout, finished).await;
    // The last lines a signing-in person must see may still be in the pipe: read to its end,
    // unless a child the plugin left behind holds it open.
    if outcome.is_err() || tokio::time::timeout(STDERR_DRAIN, &mut relay).await.is_err() {
        relay.abort();
    }
    let (status, printed) = match outcome {
        Err(_) => return Err(CredentialError::TimedOut { command, after: timeout }),
        Ok(Err(source)) => return Err(CredentialError::Start { command, source: source.into() }),
        Ok(Ok(finished)) => finished,
    };
    if !status.success() {
        return Err(CredentialError::Failed { command, status: status.to_string() });
    }
    parse(&printed, &api_version).map_err(|why| CredentialError::BadOutput { command, why })
}

/// Kills a plugin's whole process group when its run ends or is abandoned (a time limit, a
/// probe given up), so a shell script's children go with it. After a normal exit the group is
/// empty and the signal finds nobody.
struct GroupKiller(u32);

impl Drop for GroupKiller {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.0) {
            let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
        }
    }
}

/// Whether `plugin` needs a person before it can issue anything (`interactiveMode: Always`).
pub fn needs_a_person(plugin: &ExecConfig) -> bool {
    matches!(plugin.interactive_mode, Some(ExecInteractiveMode::Always))
}

/// Whether a person can sign in through `plugin` (its `interactiveMode` is not `Never`).
pub fn can_sign_in(plugin: &ExecConfig) -> bool {
    !matches!(plugin.interactive_mode, Some(ExecInteractiveMode::Never))
}

/// Reads stderr to its end (so the plugin never blocks on a full pipe), handing each line to
/// `lines` when a person watches; nothing is kept.
async fn relay_stderr(stderr: tokio::process::ChildStderr, lines: Option<mpsc::UnboundedSender<String>>) {
    let mut reader = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = reader.next_line().await {
        if let Some(lines) = &lines {
            let _ = lines.send(line);
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecCredential {
    api_version: Option<String>,
    kind: Option<String>,
    status: Option<ExecCredentialStatus>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecCredentialStatus {
    token: Option<String>,
    client_certificate_data: Option<String>,
    client_key_data: Option<String>,
    expiration_timestamp: Option<String>,
}

/// The credential in a plugin's stdout, checked as client-go checks it; the error names what is
/// wrong without repeating anything printed.
fn parse(printed: &[u8], api_version: &str) -> Result<Issued, &'static str> {
    let credential: ExecCredential =
        serde_json::from_slice(printed).map_err(|_| "its output is not an ExecCredential in JSON")?;
    if credential.kind.as_deref() != Some("ExecCredential") {
        return Err("its output is not of kind ExecCredential");
    }
    if credential.api_version.as_deref() != Some(api_version) {
        return Err("its output has another apiVersion than the kubeconfig asks for");
    }
    let status = credential.status.ok_or("its output has no status")?;
    let expires = match status.expiration_timestamp.as_deref().filter(|t| !t.is_empty()) {
        Some(stamp) => Some(stamp.parse::<jiff::Timestamp>().map_err(|_| "its expirationTimestamp is not RFC 3339")?),
        None => None,
    };
    let certificate = match (status.client_certificate_data, status.client_key_data) {
        (Some(certificate), Some(key)) if !certificate.is_empty() && !key.is_empty() => {
            Some((SecretString::from(certificate), SecretString::from(key)))
        }
        (None, None) => None,
        _ => return Err("its output has a client certificate without its key, or a key without its certificate"),
    };
    let token = status.token.filter(|t| !t.is_empty()).map(SecretString::from);
    if token.is_none() && certificate.is_none() {
        return Err("its output holds neither a token nor a client certificate");
    }
    if let Some(token) = &token {
        crate::redact::remember(secrecy::ExposeSecret::expose_secret(token));
    }
    Ok(Issued { token, certificate, expires })
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = "client.authentication.k8s.io/v1";

    #[test]
    fn a_token_with_its_expiry_is_read() {
        let printed = br#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
            "status":{"token":"abc.def","expirationTimestamp":"2030-01-02T03:04:05Z"}}"#;
        let issued = parse(printed, V1).map_err(str::to_owned).expect("parsed");
        assert!(issued.token.is_some());
        assert_eq!(issued.expires, Some("2030-01-02T03:04:05Z".parse().expect("stamp")));
    }

    #[test]
    fn wrong_output_is_refused_without_repeating_it() {
        let cases: [&[u8]; 5] = [
            b"Bearer s3cr3t-t0ken-value",
            br#"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"s3cr3t"}}"#,
            br#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential"}"#,
            br#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientKeyData":"k"}}"#,
            br#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"s3cr3t","expirationTimestamp":"soon"}}"#,
        ];
        for printed in cases {
            let why = parse(printed, V1).err().expect("refused");
            assert!(!why.contains("s3cr3t"), "{why}");
        }
    }
}
