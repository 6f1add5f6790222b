//! The restricted help-desk identity of every local cluster: a ServiceAccount bound to a
//! ClusterRole that can read tenant namespaces and workloads, patch deployments and their
//! scale, and create jobs, but cannot delete namespaces.

use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::{Error, Result};

/// Namespace of the help-desk ServiceAccount.
pub const NAMESPACE: &str = "tenantry-system";
/// Name of the ServiceAccount, ClusterRole and ClusterRoleBinding.
pub const NAME: &str = "tenantry-helpdesk";
/// How long the issued token stays valid.
const TOKEN_SECONDS: i64 = 7 * 24 * 3600;

/// The role's rules: read what a tenant is made of, fix deployments, run jobs; nothing else.
fn rules() -> serde_json::Value {
    let read = json!(["get", "list", "watch"]);
    json!([
        {"apiGroups": [""], "resources": ["namespaces", "pods", "pods/log", "services", "configmaps", "events",
            "persistentvolumeclaims", "resourcequotas", "limitranges"], "verbs": read},
        {"apiGroups": ["apps"], "resources": ["deployments", "replicasets", "statefulsets"],
            "verbs": ["get", "list", "watch", "patch"]},
        {"apiGroups": ["apps"], "resources": ["deployments/scale"], "verbs": ["get", "patch", "update"]},
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list", "watch", "create"]},
        {"apiGroups": ["batch"], "resources": ["cronjobs"], "verbs": read},
        {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses", "networkpolicies"], "verbs": read},
        {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"], "verbs": read},
        {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": read},
    ])
}

fn decode<T: serde::de::DeserializeOwned>(what: &str, value: serde_json::Value) -> Result<T> {
    serde_json::from_value(value).map_err(|e| Error::Encoding { what: what.into(), source: Box::new(e) })
}

/// Creates (idempotently) the help-desk identity with the admin `client`; returns its token.
pub async fn create_helpdesk(client: &kube::Client) -> Result<String> {
    let apply = PatchParams::apply("tenantry-testenv").force();
    let namespace: Namespace =
        decode("a Namespace", json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}))?;
    Api::<Namespace>::all(client.clone())
        .patch(NAMESPACE, &apply, &Patch::Apply(&namespace))
        .await
        .map_err(crate::error::kube("cannot create the help-desk namespace"))?;
    let account: ServiceAccount = decode(
        "a ServiceAccount",
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": NAME, "namespace": NAMESPACE}}),
    )?;
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), NAMESPACE);
    accounts
        .patch(NAME, &apply, &Patch::Apply(&account))
        .await
        .map_err(crate::error::kube("cannot create the help-desk account"))?;
    let role: ClusterRole = decode(
        "a ClusterRole",
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": NAME}, "rules": rules()}),
    )?;
    Api::<ClusterRole>::all(client.clone())
        .patch(NAME, &apply, &Patch::Apply(&role))
        .await
        .map_err(crate::error::kube("cannot create the help-desk role"))?;
    let binding: ClusterRoleBinding = decode(
        "a ClusterRoleBinding",
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": NAME},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": NAME},
            "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}],
        }),
    )?;
    Api::<ClusterRoleBinding>::all(client.clone())
        .patch(NAME, &apply, &Patch::Apply(&binding))
        .await
        .map_err(crate::error::kube("cannot bind the help-desk role"))?;
    let request = TokenRequest {
        spec: TokenRequestSpec { expiration_seconds: Some(TOKEN_SECONDS), ..Default::default() },
        ..Default::default()
    };
    let issued = accounts
        .create_token_request(NAME, &PostParams::default(), &request)
        .await
        .map_err(crate::error::kube("cannot issue the help-desk token"))?;
    Ok(issued.status.map(|s| s.token).unwrap_or_default())
}
