//! Restricted identities of the local clusters, each a ServiceAccount bound to a ClusterRole:
//! the help-desk (read tenants and fix them: patch their spec and objects, run jobs; but never
//! create or delete namespaces nor read secrets) and a bare tenant-list reader (namespaces,
//! deployments and pods only).

use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use kube::api::{Api, PostParams};
use serde_json::json;

use crate::Result;
use crate::apply::apply;

/// Namespace of the help-desk ServiceAccount.
pub const NAMESPACE: &str = "tenantry-system";
/// Name of the help-desk ServiceAccount, ClusterRole and ClusterRoleBinding.
pub const NAME: &str = "tenantry-helpdesk";
/// Name of the tenant-list reader's ServiceAccount, ClusterRole and ClusterRoleBinding.
pub const LIST_ONLY: &str = "tenantry-list-only";
/// Field manager of the objects written here.
const MANAGER: &str = "tenantry-testenv";
/// How long the issued token stays valid.
const TOKEN_SECONDS: i64 = 7 * 24 * 3600;

/// The help-desk's rules: read what a tenant is made of and fix it (scale, restart, suspend,
/// resume, update: patch the spec annotation and every object a blueprint renders, run jobs);
/// never create or delete namespaces, never read secrets.
fn helpdesk_rules() -> serde_json::Value {
    let read = json!(["get", "list", "watch"]);
    let fix = json!(["get", "list", "watch", "create", "patch"]);
    json!([
        {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "watch", "patch"]},
        {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": read},
        {"apiGroups": [""], "resources": ["services", "configmaps", "persistentvolumeclaims", "resourcequotas",
            "limitranges"], "verbs": fix},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create", "patch"]},
        {"apiGroups": [""], "resources": ["events"], "verbs": ["get", "list", "watch", "create"]},
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": fix},
        {"apiGroups": ["apps"], "resources": ["replicasets", "statefulsets"], "verbs": read},
        {"apiGroups": ["apps"], "resources": ["deployments/scale"], "verbs": ["get", "patch", "update"]},
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list", "watch", "create"]},
        {"apiGroups": ["batch"], "resources": ["cronjobs"], "verbs": fix},
        {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses", "networkpolicies"], "verbs": fix},
        {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"],
            "verbs": ["get", "list", "watch", "create", "patch", "delete"]},
        {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": read},
    ])
}

/// The tenant-list reader's rules: exactly what the tenant list needs, nothing else.
fn list_only_rules() -> serde_json::Value {
    let read = json!(["get", "list", "watch"]);
    json!([
        {"apiGroups": [""], "resources": ["namespaces", "pods"], "verbs": read},
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": read},
    ])
}

/// Creates (idempotently) the help-desk identity with the admin `client`; returns its token.
pub async fn create_helpdesk(client: &kube::Client) -> Result<String> {
    create(client, NAME, helpdesk_rules()).await
}

/// Creates (idempotently) the tenant-list reader with the admin `client`; returns its token.
pub async fn create_list_only(client: &kube::Client) -> Result<String> {
    create(client, LIST_ONLY, list_only_rules()).await
}

/// Creates ServiceAccount, ClusterRole and binding `name` with `rules`; returns a token.
async fn create(client: &kube::Client, name: &str, rules: serde_json::Value) -> Result<String> {
    apply(
        Api::<Namespace>::all(client.clone()),
        MANAGER,
        NAMESPACE,
        json!({
            "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE},
        }),
    )
    .await?;
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), NAMESPACE);
    apply(
        accounts.clone(),
        MANAGER,
        name,
        json!({
            "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": NAMESPACE},
        }),
    )
    .await?;
    apply(Api::<ClusterRole>::all(client.clone()), MANAGER, name, json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name}, "rules": rules,
    }))
    .await?;
    apply(
        Api::<ClusterRoleBinding>::all(client.clone()),
        MANAGER,
        name,
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": NAMESPACE}],
        }),
    )
    .await?;
    let request = TokenRequest {
        spec: TokenRequestSpec { expiration_seconds: Some(TOKEN_SECONDS), ..Default::default() },
        ..Default::default()
    };
    let issued = accounts
        .create_token_request(name, &PostParams::default(), &request)
        .await
        .map_err(crate::error::kube(format!("cannot issue a token for {name}")))?;
    Ok(issued.status.map(|s| s.token).unwrap_or_default())
}
