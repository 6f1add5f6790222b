//! The window as the user left it, so the next start opens it the same way.

use serde::{Deserialize, Serialize};

/// The views of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum View {
    /// The fleet: every tenant of every cluster.
    #[default]
    Tenants,
    /// The clusters of the kubeconfig and their reachability.
    Clusters,
    /// Who did what to which tenant.
    Audit,
    /// Which namespaces are tenants.
    Tenancy,
    /// Fleet changes in waves.
    Rollouts,
}

/// The window's size and place on the screen (physical pixels) and the view it showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WindowState {
    /// Inner width.
    pub width: u32,
    /// Inner height.
    pub height: u32,
    /// Left edge of the window on the screen.
    pub x: i32,
    /// Top edge of the window on the screen.
    pub y: i32,
    /// Whether it filled the screen.
    pub maximized: bool,
    /// The view it showed.
    pub view: View,
}
