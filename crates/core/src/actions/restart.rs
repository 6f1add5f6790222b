//! Restarts: every Tenantry Deployment of a tenant (or the chosen workloads of a tenant without
//! a blueprint) gets a new pod-template stamp, so its pods are replaced one by one.

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use kube::ResourceExt as _;
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::json;

use super::ActionError;
use super::converge::Expected;
use crate::labels::{managed_selector, now};

/// Field manager of restarts: kept apart from `tenantry`, so that applying the spec later
/// neither removes the restart stamp nor conflicts with it.
const RESTART_MANAGER: &str = "tenantry-restart";
/// Pod template annotation a restart sets.
pub const RESTARTED_AT: &str = "tenantry.io/restarted-at";

/// Names of the Deployments Tenantry manages in namespace `id`.
pub async fn managed_deployments(client: &kube::Client, id: &str) -> Result<Vec<String>, ActionError> {
    let list = Api::<Deployment>::namespaced(client.clone(), id)
        .list(&ListParams::default().labels(&managed_selector()))
        .await
        .map_err(|source| ActionError::Cluster { what: format!("cannot list the Deployments of {id}"), source })?;
    Ok(list.items.iter().map(|d| d.name_any()).collect())
}

/// Stamps every Deployment of `names` in `id` with `stamp`, noting each in `expected`.
pub async fn restart(
    client: &kube::Client,
    id: &str,
    names: &[String],
    stamp: &str,
    expected: &mut Expected,
) -> Result<(), ActionError> {
    let api = Api::<Deployment>::namespaced(client.clone(), id);
    for name in names {
        let restarted =
            api.patch(name, &params(), &Patch::Strategic(&stamped(stamp))).await.map_err(failed("Deployment", name))?;
        expected.written("Deployment", &restarted.metadata);
    }
    Ok(())
}

/// Stamps workload `kind` (`Deployment` or `StatefulSet`) `name` of `id` with `stamp`; returns
/// the generation written (unchanged when it already carried that stamp).
pub async fn stamp(client: &kube::Client, id: &str, kind: &str, name: &str, stamp: &str) -> Result<i64, ActionError> {
    let written = if kind == "StatefulSet" {
        let api = Api::<StatefulSet>::namespaced(client.clone(), id);
        api.patch(name, &params(), &Patch::Strategic(&stamped(stamp))).await.map_err(failed(kind, name))?.metadata
    } else {
        let api = Api::<Deployment>::namespaced(client.clone(), id);
        api.patch(name, &params(), &Patch::Strategic(&stamped(stamp))).await.map_err(failed(kind, name))?.metadata
    };
    Ok(written.generation.unwrap_or(0))
}

/// The pod template annotation of a restart stamped `stamp`.
fn stamped(stamp: &str) -> serde_json::Value {
    json!({"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}})
}

/// The stamp of `change` when it is a restart that carries one, else the time now.
pub fn stamp_of(change: &tenantry_model::Change) -> String {
    match change {
        tenantry_model::Change::Restart { stamp: Some(stamp), .. } => stamp.clone(),
        _ => now(),
    }
}

fn params() -> PatchParams {
    PatchParams { field_manager: Some(RESTART_MANAGER.into()), ..PatchParams::default() }
}

fn failed(kind: &str, name: &str) -> impl FnOnce(kube::Error) -> ActionError {
    let what = format!("cannot restart {kind} {name}");
    move |source| ActionError::Cluster { what, source }
}
