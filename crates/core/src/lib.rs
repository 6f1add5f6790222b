//! Tenantry's core: everything that is not UI. Loads the kubeconfig the way kubectl does,
//! lists and probes its clusters, watches their tenants, caches them in SQLite, and sets up
//! logging.
//!
//! **Invariant:** no tauri here; the desktop shell and the CLI are thin layers over this crate,
//! and everything the UI receives is a `tenantry_model` type.

pub mod access;
pub mod actions;
pub mod added_clusters;
pub mod audit;
pub mod blueprint;
pub mod bundle;
pub mod cache;
pub mod cluster;
pub mod cluster_files;
pub mod cluster_groups;
pub mod credentials;
pub mod error;
pub mod fleet;
pub mod gitops;
pub mod heartbeat;
pub mod instance;
pub mod inventory;
pub mod json_file;
pub mod kubeconfig;
pub mod labels;
pub mod logging;
pub mod logs;
pub mod looked;
pub mod notifications;
pub mod pairs;
pub mod paths;
pub mod redact;
pub mod rollout;
pub mod secrets;
pub mod status;
pub mod tenancy;
pub mod timeline;
pub mod tray_menu;
pub mod watch_choice;
pub mod window_state;
