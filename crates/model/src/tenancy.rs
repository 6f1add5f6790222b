//! The tenancy rules as the settings page edits them: the file's text, and what a draft of it
//! makes of each watched cluster's namespaces.

use serde::{Deserialize, Serialize};

use crate::UiError;

/// The tenancy file as it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenancyFile {
    /// Where it is.
    pub path: String,
    /// Its text (a starting point when there is no file yet).
    pub text: String,
    /// Whether the file exists.
    pub exists: bool,
    /// What is wrong with it, when the last good rules are in force instead.
    pub problem: Option<String>,
}

/// What a draft of the rules makes of one cluster's namespaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenancyMatch {
    /// The cluster's context.
    pub cluster: String,
    /// Namespaces that would be tenants.
    pub tenants: u32,
    /// Namespaces that are never tenants (system ones, those under `never`).
    pub excluded: u32,
    /// Namespaces no rule makes a tenant.
    pub others: u32,
    /// A few of the tenants, by name.
    pub examples: Vec<String>,
    /// Why the cluster's namespaces could not be listed.
    pub error: Option<UiError>,
}
