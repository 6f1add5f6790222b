//! Serde types shared by the Tenantry backend and its wasm UI: the API boundary between them.
//!
//! **Invariant:** no I/O and no dependency but serde, so this crate builds for `wasm32`.

mod cluster;
mod error;
mod tenant;

pub use cluster::{ClusterEvent, ClusterRow, KubeconfigSummary, Probe};
pub use error::{ErrorKind, UiError};
pub use tenant::{
    BackupPolicy, FleetEvent, Health, PodSummary, TenantChanges, TenantDetail, TenantSpec, TenantSummary,
};
