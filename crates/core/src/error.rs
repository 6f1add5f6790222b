//! What every module's errors share on their way to the user: the error chain as one line, and
//! the sentence for a failed request (unauthorized, forbidden, TLS, unreachable, an API error).
//! Each module turns its own errors into a `UiError` (`to_ui`) with these; this module imports
//! none of them.

use std::error::Error as StdError;

use tenantry_model::{ErrorKind, UiError};

use crate::redact;

/// The error and all its sources, joined with `: `, with credentials blanked: the one place an
/// error becomes text for the window, the CLI, the log or the cache.
pub fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut text = String::new();
    let mut next = Some(err);
    while let Some(cause) = next {
        let (cause_text, ends) = describe(cause);
        if !text.contains(&cause_text) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&cause_text);
        }
        next = if ends { None } else { cause.source() };
    }
    redact::text(&text).into_owned()
}

/// One error's own text, and whether the chain ends with it. A credential plugin's failure is
/// told without what the plugin printed, and without its sources, which quote it (kube's text
/// holds the plugin's whole output, the credential included).
fn describe(err: &(dyn StdError + 'static)) -> (String, bool) {
    let auth = err.downcast_ref::<kube::client::AuthError>().or_else(|| match err.downcast_ref::<kube::Error>() {
        Some(kube::Error::Auth(auth)) => Some(auth),
        _ => None,
    });
    match auth {
        Some(kube::client::AuthError::AuthExecRun { cmd, out }) => {
            // The program and its subcommands only: its options may hold a credential
            // (`--oidc-client-secret=…`).
            let program: Vec<&str> =
                cmd.split_whitespace().take_while(|word| !word.starts_with('-') && !word.contains('=')).take(3).collect();
            let program = program.join(" ");
            let text = format!(
                "the credential plugin {program} failed ({}); what it printed is not shown, as it may hold a credential",
                out.status
            );
            (redact::text(&text).into_owned(), true)
        }
        Some(kube::client::AuthError::AuthExecParse(_)) => (
            "the credential plugin printed something that is not an ExecCredential; it is not shown, as it may hold a credential".into(),
            true,
        ),
        _ => (redact::text(&err.to_string()).into_owned(), false),
    }
}

/// `err` shown as `message` of `kind`, with its chain as the detail.
pub(crate) fn ui(kind: ErrorKind, message: impl Into<String>, err: &(dyn StdError + 'static)) -> UiError {
    UiError { kind, message: message.into(), detail: chain(err) }
}

/// An HTTP status from the cluster as the user sees it.
pub(crate) fn status_for_ui(code: u16, err: &(dyn StdError + 'static)) -> UiError {
    match code {
        401 => {
            ui(ErrorKind::Unauthorized, "The cluster rejected this context's credentials; they may have expired.", err)
        }
        403 => ui(ErrorKind::Forbidden, "This identity is not allowed to do that on this cluster.", err),
        code => ui(ErrorKind::Api, format!("The cluster answered with an error (HTTP {code})."), err),
    }
}

/// A failed request: unauthorized, forbidden, TLS, unreachable or an API error.
pub(crate) fn request_error_for_ui(request: &kube::Error, err: &(dyn StdError + 'static)) -> UiError {
    if let kube::Error::Api(status) = request {
        return status_for_ui(status.code, err);
    }
    if matches!(request, kube::Error::Auth(_)) {
        return ui(ErrorKind::Unauthorized, "The credentials of this context could not be obtained.", err);
    }
    let detail = chain(err).to_lowercase();
    if ["certificate", "tls", "handshake"].iter().any(|word| detail.contains(word)) {
        return ui(ErrorKind::Tls, "The cluster's TLS certificate is not trusted by this context.", err);
    }
    ui(ErrorKind::Unreachable, "The cluster cannot be reached; it may be down or the address may be wrong.", err)
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::ExitStatusExt as _;

    use super::*;

    #[test]
    fn a_failed_credential_plugin_is_told_without_its_arguments_or_output() {
        let out = std::process::Output {
            status: std::process::ExitStatus::from_raw(256),
            stdout: br#"{"status":{"token":"printed-token-123456"}}"#.to_vec(),
            stderr: b"open https://login and type CODE-7788".to_vec(),
        };
        let failed = kube::Error::Auth(kube::client::AuthError::AuthExecRun {
            cmd: "kubectl oidc-login get-token --oidc-client-secret=client-secret-998877".into(),
            out: Box::new(out),
        });
        let text = chain(&failed);
        assert_eq!(
            text,
            "the credential plugin kubectl oidc-login get-token failed (exit status: 1); what it printed is not shown, as it may hold a credential"
        );
    }
}
