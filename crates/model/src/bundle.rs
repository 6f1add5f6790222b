//! An escalation bundle as written.

use serde::{Deserialize, Serialize};

/// Where an escalation bundle was written and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleReport {
    /// The archive's path.
    pub path: String,
    /// The files in it.
    pub files: Vec<String>,
    /// What could not be read into it, each with why.
    pub unreadable: Vec<String>,
}
