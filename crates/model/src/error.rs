//! Errors as the user sees them: one clear sentence plus the technical detail.

use serde::{Deserialize, Serialize};

/// What went wrong, in terms a user can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The kubeconfig (or one of the files it points to) cannot be used.
    BadKubeconfig,
    /// The cluster did not answer: connection refused, DNS failure, timeout.
    Unreachable,
    /// The cluster rejected the credentials (HTTP 401) or they could not be obtained.
    Unauthorized,
    /// The identity is known but lacks the permission (HTTP 403).
    Forbidden,
    /// The TLS handshake failed: unknown certificate authority, wrong host name.
    Tls,
    /// The cluster answered with something unexpected.
    Api,
    /// The input was refused (tenant name, domain, size, blueprint parameter).
    Invalid,
    /// A controller of record owns a field the action would change; nothing was overwritten
    /// (taking the fields over is the user's explicit choice).
    Conflict,
    /// Someone else changed the tenant since it was read; nothing was written (review the new
    /// state and run the action again).
    Stale,
    /// The action was applied but the tenant did not reach the wanted state in time.
    NotConverged,
    /// The local cache could not be used as it was (it is rebuilt or skipped).
    Cache,
    /// A fault in Tenantry itself.
    Internal,
}

/// An error ready to be shown: `message` is one sentence for the user, `detail` is for engineers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UiError {
    /// Category of the error.
    pub kind: ErrorKind,
    /// One sentence a help-desk person can act on.
    pub message: String,
    /// The technical detail (error chain), possibly empty.
    pub detail: String,
}
