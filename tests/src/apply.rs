//! Server-side apply of JSON manifests, the way every local-cluster object is written.

use kube::api::{Api, Patch, PatchParams};
use serde_json::Value;

use crate::Result;

/// Applies `object` (a full manifest) as `name` with field manager `manager`, taking over
/// conflicting fields: idempotent, so seeding or setting up twice changes nothing.
pub async fn apply<K>(api: Api<K>, manager: &str, name: &str, object: Value) -> Result<()>
where
    K: kube::Resource<DynamicType = ()> + Clone + std::fmt::Debug + serde::de::DeserializeOwned + serde::Serialize,
{
    api.patch(name, &PatchParams::apply(manager).force(), &Patch::Apply(&object))
        .await
        .map(drop)
        .map_err(crate::error::kube(format!("cannot apply {} {name}", K::kind(&()))))
}
