//! Serde types shared by the Tenantry backend and its wasm UI: the API boundary between them.
//!
//! **Invariant:** no I/O and no dependency but serde, so this crate builds for `wasm32`.

mod action;
mod age;
mod bundle;
mod cluster;
mod detail;
mod drift;
mod error;
mod fleet;
mod logs;
mod notifications;
mod rollout;
mod tenancy;
mod tenant;
mod timeline;
mod window;

pub use action::{
    ActionAccess, ActionEvent, ActionKind, ActionRequest, ActionResult, AuditEntry, AuditFilter, Change, Drift,
    FieldChange, JournalEntry, JournalState, ObjectChange, Operation, Outcome, Preview, Step,
};
pub use age::format_age;
pub use bundle::BundleReport;
pub use cluster::{
    AddedClusterReport, ClusterEvent, ClusterRow, Credential, CredentialState, KubeconfigSummary, NewCluster, Probe,
    ProbeResult, SignInEvent,
};
pub use detail::{FieldOrigin, HealthTransition, PodSummary, TenantDetail, WarningEvent, WorkloadSummary};
pub use drift::{DriftAcceptance, DriftField, DriftReport};
pub use error::{ErrorKind, UiError};
pub use fleet::{ClusterStatus, ConnectionState, FleetEvent, TenantChanges};
pub use logs::{LogEvent, LogLine, LogRequest, LogSource};
pub use notifications::{NotificationSettings, TenantNotice};
pub use rollout::{
    FleetChange, Rollout, RolloutChanges, RolloutEvent, RolloutGroup, RolloutPlan, RolloutSettings, RolloutState,
    RolloutStatus, RolloutSummary, RolloutTenant, TenantState, TenantStatus,
};
pub use tenancy::{TenancyFile, TenancyMatch};
pub use tenant::{Autoscaling, BackupPolicy, BackupResult, BackupRun, Freshness, Health, TenantSpec, TenantSummary};
pub use timeline::{ChangeGroup, SinceLastLooked, TenantChange, Timeline, TimelineEntry, TimelineKind};
pub use window::{View, WindowState};
