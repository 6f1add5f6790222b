//! Drift: where a tenant's live objects differ from what its spec renders, field by field.

use serde::{Deserialize, Serialize};

/// One field whose live value differs from the render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftField {
    /// The object, as `Kind/name`.
    pub object: String,
    /// The field, e.g. `spec.replicas` (empty: the object itself is missing).
    pub path: String,
    /// The live value (`None`: absent).
    pub live: Option<String>,
    /// The value the spec renders (`None`: the render leaves it out).
    pub rendered: Option<String>,
    /// The field manager that changed it (from managedFields), when the server names one.
    pub manager: Option<String>,
    /// When that manager wrote the object (RFC 3339).
    pub at: Option<String>,
    /// The spec field Accept records the live value into (`pods`, `autoscaling bounds`,
    /// `version`); `None` when it maps to none.
    pub accepts_as: Option<String>,
}

/// A tenant's drift as the server's dry run of its render over the live objects shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftReport {
    /// When it was checked (RFC 3339).
    pub checked_at: String,
    /// The fields that differ; empty when the tenant matches its spec.
    pub fields: Vec<DriftField>,
    /// What the check could not tell, e.g. objects that could not be dry-run.
    pub notes: Vec<String>,
}

/// What "Accept" would record of a tenant's drift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftAcceptance {
    /// The action recording the live values into the spec; `None` when nothing drifted maps
    /// back to the spec.
    pub request: Option<crate::ActionRequest>,
    /// The drifted fields it cannot record, each with why.
    pub refused: Vec<String>,
}
