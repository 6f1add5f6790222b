//! Turns core errors into what the user sees: one sentence to act on, plus the technical chain.

use std::error::Error as StdError;

use tenantry_model::{ErrorKind, UiError};

use crate::added_clusters::AddClusterError;
use crate::cluster::ProbeError;
use crate::inventory::InventoryError;
use crate::kubeconfig::{ContextError, LoadError};

/// The error and all its sources, joined with `: `.
pub fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn ui(kind: ErrorKind, message: impl Into<String>, err: &(dyn StdError + 'static)) -> UiError {
    UiError { kind, message: message.into(), detail: chain(err) }
}

/// A kubeconfig that cannot be loaded at all.
pub fn load_error_for_ui(err: &LoadError) -> UiError {
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

/// A context that cannot be used.
pub fn context_error_for_ui(err: &ContextError) -> UiError {
    if let ContextError::KeyringToken { .. } = err {
        return ui(
            ErrorKind::Unauthorized,
            "This cluster's token is no longer in the keyring; remove the cluster and add it again with its token.",
            err,
        );
    }
    let message = match err {
        ContextError::MissingCluster { .. } | ContextError::NoServer { .. } => {
            "This context has no cluster address; fix its cluster entry in the kubeconfig."
        }
        ContextError::MissingUser { .. } => "This context's user is missing from the kubeconfig.",
        ContextError::UnreadableFile { .. } => "A certificate, key or token file of this context cannot be read.",
        _ => "This context's settings cannot be used; fix it in the kubeconfig.",
    };
    ui(ErrorKind::BadKubeconfig, message, err)
}

/// A probe that failed.
pub fn probe_error_for_ui(err: &ProbeError) -> UiError {
    match err {
        ProbeError::Context(context) => context_error_for_ui(context),
        ProbeError::Client(_) => ui(
            ErrorKind::BadKubeconfig,
            "The connection settings of this context cannot be used (certificate, key or auth plugin).",
            err,
        ),
        ProbeError::Timeout(timeout) => {
            ui(ErrorKind::Unreachable, format!("The cluster did not answer within {} seconds.", timeout.as_secs()), err)
        }
        ProbeError::Request(request) => request_error_for_ui(request, err),
    }
}

/// A cluster whose tenants cannot be watched.
pub fn inventory_error_for_ui(err: &InventoryError) -> UiError {
    match err {
        InventoryError::Context(context) => context_error_for_ui(context),
        InventoryError::Client { .. } => ui(
            ErrorKind::BadKubeconfig,
            "The connection settings of this context cannot be used (certificate, key or auth plugin).",
            err,
        ),
        InventoryError::NotSynced { .. } => ui(
            ErrorKind::Unreachable,
            "The cluster's tenants could not be listed in time; it may be down, or this identity may not list namespaces.",
            err,
        ),
    }
}

/// A watch that failed (it retries on its own).
pub fn watch_error_for_ui(err: &kube::runtime::watcher::Error) -> UiError {
    use kube::runtime::watcher::Error;
    match err {
        Error::InitialListFailed(request) | Error::WatchStartFailed(request) | Error::WatchFailed(request) => {
            request_error_for_ui(request, err)
        }
        Error::WatchError(status) => status_for_ui(status.code, err),
        Error::NoResourceVersion => ui(ErrorKind::Api, "The cluster sent a list Tenantry cannot follow.", err),
    }
}

fn status_for_ui(code: u16, err: &(dyn StdError + 'static)) -> UiError {
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

/// A cluster that was not added or removed.
pub fn add_cluster_error_for_ui(err: &AddClusterError) -> UiError {
    match err {
        AddClusterError::Invalid { field, problem } => ui(ErrorKind::Invalid, format!("The {field} {problem}."), err),
        AddClusterError::Taken { name } => {
            ui(ErrorKind::Invalid, format!("A cluster named {name} already exists; choose another name."), err)
        }
        AddClusterError::Unknown { name } => {
            ui(ErrorKind::Invalid, format!("{name} comes from the kubeconfig; remove it there, not in Tenantry."), err)
        }
        AddClusterError::Verify(ProbeError::Request(kube::Error::Api(status))) if status.code == 401 => ui(
            ErrorKind::Unauthorized,
            "The cluster rejected this token; check that it is complete and has not expired.",
            err,
        ),
        AddClusterError::Verify(probe) => {
            let mut shown = probe_error_for_ui(probe);
            shown.detail = chain(err);
            shown
        }
        AddClusterError::Keyring(_) => {
            ui(ErrorKind::Internal, "The OS keyring refused the token (is it locked?); nothing was added.", err)
        }
        AddClusterError::List(_) => ui(
            ErrorKind::Internal,
            "Tenantry's list of added clusters cannot be written or is damaged; nothing was changed.",
            err,
        ),
    }
}
