//! Tenantry's marks on cluster objects: the labels, annotations and field manager every part
//! reads or writes, and the label selectors built from them.

/// Label on every tenant namespace (and everything Tenantry writes): the tenant id.
pub const TENANT_LABEL: &str = "tenantry.io/tenant";
/// Namespace annotation holding the tenant's spec as JSON.
pub const SPEC_ANNOTATION: &str = "tenantry.io/spec";
/// Namespace annotation counting spec changes.
pub const REVISION_ANNOTATION: &str = "tenantry.io/revision";
/// Namespace annotation: the fingerprint of the blueprint the spec was last applied with.
pub const BLUEPRINT_ANNOTATION: &str = "tenantry.io/blueprint-fingerprint";
/// Annotation on restore Jobs: the attempt of the restore action that made the Job.
pub const RESTORE_ATTEMPT_ANNOTATION: &str = "tenantry.io/restore-attempt";
/// Label on backup Jobs: the backup id.
pub const BACKUP_LABEL: &str = "tenantry.io/backup";
/// The field manager Tenantry writes with.
pub const FIELD_MANAGER: &str = "tenantry";
/// Label on every object Tenantry manages.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", FIELD_MANAGER);
/// Label naming a tenant's app Deployment and its pods.
pub const APP_LABEL: (&str, &str) = ("app.kubernetes.io/name", "app");

/// The label selector of every object Tenantry manages.
pub fn managed_selector() -> String {
    format!("{}={}", MANAGED_BY.0, MANAGED_BY.1)
}

/// The time now, RFC 3339.
pub fn now() -> String {
    jiff::Timestamp::now().to_string()
}
