//! The tenant's objects on the cluster: each rendered object's API resource (discovery), the
//! server's dry run and its field-level preview, server-side apply with field manager
//! `tenantry` (never forced: another writer's field is a conflict to show), and removal of
//! objects the blueprint no longer renders.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::discovery::Scope;
use serde_json::Value;
use tenantry_model::{FieldChange, Operation};

use super::diff;
use super::mirror::Mirror;
use crate::inventory::FIELD_MANAGER;

/// Kinds never removed when a blueprint stops rendering them: they hold the tenant's data.
const NEVER_REMOVED: [&str; 2] = ["PersistentVolumeClaim", "Secret"];

/// Why an object cannot be planned or written.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// The cluster does not serve the object's kind (a CRD missing, a typo in a blueprint).
    #[error("the cluster does not serve {kind} in {api_version}")]
    UnknownKind {
        /// The object's apiVersion.
        api_version: String,
        /// The object's kind.
        kind: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
    /// A blueprint rendered a cluster-wide object; blueprints only write into the namespace.
    #[error("{kind} {name} is cluster-wide; blueprints may only write into the tenant's namespace")]
    ClusterScoped {
        /// The kind.
        kind: String,
        /// The name.
        name: String,
    },
    /// Another writer owns fields Tenantry would change; nothing was overwritten (take over to
    /// apply anyway).
    #[error("{kind} {name}: {message}")]
    Conflict {
        /// The kind.
        kind: String,
        /// The name.
        name: String,
        /// The server's description: which fields, owned by which manager.
        message: String,
    },
    /// A request failed.
    #[error("{what}")]
    Request {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: kube::Error,
    },
}

/// One object and what the action will do to it.
#[derive(Debug, Clone)]
pub struct PlannedObject {
    /// The object as applied.
    pub object: Value,
    /// Its API resource.
    pub resource: ApiResource,
    /// Whether it lives in a namespace.
    pub namespaced: bool,
    /// What happens to it.
    pub operation: Operation,
    /// The fields that change.
    pub fields: Vec<FieldChange>,
}

impl PlannedObject {
    /// Its name.
    pub fn name(&self) -> &str {
        self.object["metadata"]["name"].as_str().unwrap_or_default()
    }
}

/// API resources found by discovery, by (apiVersion, kind): the resource and whether it is
/// namespaced; shared by the actions of a session.
pub type Discovered = Arc<Mutex<HashMap<(String, String), (ApiResource, bool)>>>;

/// How an object is planned.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanAs {
    /// Created once and then kept as it is (generated credentials).
    pub create_only: bool,
    /// Whether the tenant's namespace exists (else nothing in it can be dry-run yet).
    pub namespace_exists: bool,
    /// Set only for the tenant's Namespace itself.
    pub cluster_wide_allowed: bool,
    /// The spec before rendered this object exactly so: when it exists, Tenantry's fields in it
    /// are already what it would apply, so it is unchanged without a dry run (this keeps bulk
    /// actions cheap; a missing object is still planned and created).
    pub rendered_before: bool,
}

/// Plans and writes objects, discovering each kind's API resource once per session.
pub struct Resources {
    client: kube::Client,
    found: Discovered,
    mirror: Option<Arc<Mirror>>,
    fetched: HashMap<(String, String), Value>,
    take_over: bool,
}

impl Resources {
    /// Writes through `client`, remembering discoveries in `found` and asking `mirror` (a
    /// batch's) whether objects exist; `take_over` forces applies over other writers' fields.
    pub fn new(client: kube::Client, found: Discovered, mirror: Option<Arc<Mirror>>, take_over: bool) -> Self {
        Self { client, found, mirror, fetched: HashMap::new(), take_over }
    }

    /// Takes `object`, just read from the cluster by this action, as the current state of that
    /// object when it is planned (instead of reading it again; a batch's Deployments come from
    /// its mirror).
    pub fn fetched(&mut self, object: Value) {
        let key = (
            object["kind"].as_str().unwrap_or_default().to_owned(),
            object["metadata"]["name"].as_str().unwrap_or_default().to_owned(),
        );
        self.fetched.insert(key, object);
    }

    fn apply_params(&self) -> PatchParams {
        let params = PatchParams::apply(FIELD_MANAGER);
        if self.take_over { params.force() } else { params }
    }

    /// The resource and scope (namespaced or not) of `kind` in `api_version`.
    async fn resolve(&mut self, api_version: &str, kind: &str) -> Result<(ApiResource, bool), ObjectError> {
        let key = (api_version.to_owned(), kind.to_owned());
        if let Some(found) = self.found.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
            return Ok(found.clone());
        }
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let (resource, capabilities) = kube::discovery::pinned_kind(&self.client, &gvk).await.map_err(|source| {
            ObjectError::UnknownKind { api_version: api_version.to_owned(), kind: kind.to_owned(), source }
        })?;
        let found = (resource, capabilities.scope == Scope::Namespaced);
        self.found.lock().unwrap_or_else(PoisonError::into_inner).insert(key, found.clone());
        Ok(found)
    }

    /// The API group and plural resource name of `object`'s kind, for access reviews.
    pub async fn plural(&mut self, object: &Value) -> Result<(String, String), ObjectError> {
        let kind = object["kind"].as_str().unwrap_or_default();
        let (resource, _) = self.resolve(object["apiVersion"].as_str().unwrap_or_default(), kind).await?;
        Ok((resource.group, resource.plural))
    }

    fn api(&self, resource: &ApiResource, namespace: Option<&str>) -> Api<DynamicObject> {
        match namespace {
            Some(namespace) => Api::namespaced_with(self.client.clone(), namespace, resource),
            None => Api::all_with(self.client.clone(), resource),
        }
    }

    /// What applying `object` would do: dry-run on the server when its namespace exists,
    /// otherwise a creation the server checks when it is applied; see [`PlanAs`] for the cases
    /// that need no dry run.
    pub async fn plan(&mut self, object: Value, how: PlanAs) -> Result<PlannedObject, ObjectError> {
        let PlanAs { create_only, namespace_exists, cluster_wide_allowed, rendered_before } = how;
        let kind = object["kind"].as_str().unwrap_or_default().to_owned();
        let name = object["metadata"]["name"].as_str().unwrap_or_default().to_owned();
        let (resource, namespaced) = self.resolve(object["apiVersion"].as_str().unwrap_or_default(), &kind).await?;
        if !namespaced && !cluster_wide_allowed {
            return Err(ObjectError::ClusterScoped { kind, name });
        }
        let namespace = object["metadata"]["namespace"].as_str().filter(|_| namespaced).map(str::to_owned);
        let planned = |operation, fields| PlannedObject {
            object: object.clone(),
            resource: resource.clone(),
            namespaced,
            operation,
            fields,
        };
        if namespaced && !namespace_exists {
            return Ok(planned(Operation::Create, Vec::new()));
        }
        if (rendered_before || create_only)
            && let (Some(mirror), Some(namespace)) = (&self.mirror, &namespace)
            && mirror.exists(&resource, namespace, &name).await == Some(true)
        {
            return Ok(planned(if create_only { Operation::Kept } else { Operation::Unchanged }, Vec::new()));
        }
        let api = self.api(&resource, namespace.as_deref());
        let fetched = match (self.fetched.remove(&(kind.clone(), name.clone())), &self.mirror, &namespace) {
            (Some(object), _, _) => Some(object),
            (None, Some(mirror), Some(namespace)) if kind == "Deployment" => mirror.deployment(namespace, &name).await,
            _ => None,
        };
        let current = match fetched.map(serde_json::from_value::<DynamicObject>).transpose() {
            Ok(Some(current)) => Ok(Some(current)),
            _ => api.get_opt(&name).await,
        };
        let current = match current {
            Ok(current) => current,
            // An identity that may not read generated credentials cannot replace them either.
            Err(kube::Error::Api(status)) if status.code == 403 && create_only => {
                return Ok(planned(Operation::Kept, Vec::new()));
            }
            Err(source) => return Err(request(format!("cannot read {kind} {name}"), source)),
        };
        if create_only && current.is_some() {
            return Ok(planned(Operation::Kept, Vec::new()));
        }
        if rendered_before && current.is_some() {
            return Ok(planned(Operation::Unchanged, Vec::new()));
        }
        let params = self.apply_params().dry_run();
        let after =
            api.patch(&name, &params, &Patch::Apply(&object)).await.map_err(|e| write_error(&kind, &name, e))?;
        let Some(current) = current else {
            return Ok(planned(Operation::Create, Vec::new()));
        };
        let fields = diff::field_changes(&to_json(&current), &to_json(&after));
        let operation = if fields.is_empty() { Operation::Unchanged } else { Operation::Update };
        Ok(planned(operation, fields))
    }

    /// Applies a planned object and returns its metadata as written (nothing is written for
    /// unchanged or kept ones).
    pub async fn apply(&self, planned: &PlannedObject) -> Result<Option<ObjectMeta>, ObjectError> {
        if matches!(planned.operation, Operation::Unchanged | Operation::Kept) {
            return Ok(None);
        }
        let kind = planned.object["kind"].as_str().unwrap_or_default();
        let namespace = planned.object["metadata"]["namespace"].as_str().filter(|_| planned.namespaced);
        let api = self.api(&planned.resource, namespace);
        let written = api
            .patch(planned.name(), &self.apply_params(), &Patch::Apply(&planned.object))
            .await
            .map_err(|e| write_error(kind, planned.name(), e))?;
        Ok(Some(written.metadata))
    }

    /// The objects of `before` (the previous render) that `after` no longer has and that exist,
    /// planned for removal; data-holding kinds are never removed.
    pub async fn removals(
        &mut self,
        namespace: &str,
        before: &[Value],
        after: &[Value],
    ) -> Result<Vec<PlannedObject>, ObjectError> {
        let key = |o: &Value| (o["apiVersion"].clone(), o["kind"].clone(), o["metadata"]["name"].clone());
        let mut removals = Vec::new();
        for object in before.iter().filter(|old| !after.iter().any(|new| key(new) == key(old))) {
            let kind = object["kind"].as_str().unwrap_or_default();
            if NEVER_REMOVED.contains(&kind) {
                continue;
            }
            let (resource, namespaced) = self.resolve(object["apiVersion"].as_str().unwrap_or_default(), kind).await?;
            let name = object["metadata"]["name"].as_str().unwrap_or_default();
            let exists = self
                .api(&resource, Some(namespace))
                .get_opt(name)
                .await
                .map_err(|source| request(format!("cannot read {kind} {name}"), source))?
                .is_some();
            if exists {
                removals.push(PlannedObject {
                    object: object.clone(),
                    resource,
                    namespaced,
                    operation: Operation::Delete,
                    fields: Vec::new(),
                });
            }
        }
        Ok(removals)
    }

    /// Deletes a planned removal (already gone is fine).
    pub async fn remove(&self, planned: &PlannedObject) -> Result<(), ObjectError> {
        let namespace = planned.object["metadata"]["namespace"].as_str();
        let kind = planned.object["kind"].as_str().unwrap_or_default();
        match self.api(&planned.resource, namespace).delete(planned.name(), &DeleteParams::background()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
            Err(source) => Err(request(format!("cannot delete {kind} {}", planned.name()), source)),
        }
    }
}

fn to_json(object: &DynamicObject) -> Value {
    serde_json::to_value(object).unwrap_or_default()
}

fn request(what: String, source: kube::Error) -> ObjectError {
    ObjectError::Request { what, source }
}

fn write_error(kind: &str, name: &str, error: kube::Error) -> ObjectError {
    match error {
        kube::Error::Api(status) if status.code == 409 => {
            ObjectError::Conflict { kind: kind.to_owned(), name: name.to_owned(), message: status.message.clone() }
        }
        source => request(format!("cannot apply {kind} {name}"), source),
    }
}
