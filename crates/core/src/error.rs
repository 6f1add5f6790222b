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
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&cause_text);
        }
        next = cause.source();
    }
    redact::text(&text).into_owned()
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
    if let kube::Error::Service(service) = request
        && service.downcast_ref::<crate::credentials::CredentialError>().is_some()
    {
        return ui(
            ErrorKind::Unauthorized,
            "This cluster's credential plugin gave no usable credential; sign in from the Clusters view.",
            err,
        );
    }
    let detail = chain(err).to_lowercase();
    if ["certificate", "tls", "handshake"].iter().any(|word| detail.contains(word)) {
        return ui(ErrorKind::Tls, "The cluster's TLS certificate is not trusted by this context.", err);
    }
    ui(ErrorKind::Unreachable, "The cluster cannot be reached; it may be down or the address may be wrong.", err)
}
