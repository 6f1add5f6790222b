//! The tenant's objects on the cluster: each rendered object's API resource (discovery), the
//! server's dry run against the live object and its field-level preview, server-side apply with
//! field manager `tenantry` (forced only over drift the preview showed, or when the user takes
//! over a controller's fields; see [`super::owners`]), and removal of objects the blueprint no
//! longer renders. Every object is planned from what is live: nothing remembered decides that an
//! object needs no write; the dry run is spared only where the live object itself proves what
//! the apply will do (see [`super::predicted`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::discovery::Scope;
use serde_json::Value;
use tenantry_model::{Drift, FieldChange, Operation};

use super::owners::{self, ControllersOfRecord};
use super::{diff, predicted};
use crate::labels::FIELD_MANAGER;

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
    /// A controller of record (or, while applying, any other writer) owns fields Tenantry would
    /// change; nothing was overwritten (take over to apply anyway).
    #[error("{kind} {name}: {message}")]
    Conflict {
        /// The kind.
        kind: String,
        /// The name.
        name: String,
        /// The server's description: which fields, owned by which manager.
        message: String,
        /// The fields and their managers.
        owners: Vec<Drift>,
    },
    /// The object changed since it was read (its resource version moved on, or it was created
    /// by someone else first); nothing was written.
    #[error("{kind} {name} was changed by someone else since it was read")]
    Changed {
        /// The kind.
        kind: String,
        /// The name.
        name: String,
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
    /// Fields another writer changed, which applying takes back (a forced apply).
    pub drift: Vec<Drift>,
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
}

/// Plans and writes objects, discovering each kind's API resource once per session.
pub struct Resources {
    client: kube::Client,
    found: Discovered,
    /// Objects read by this action before planning them, by kind and name (`None`: absent).
    fetched: HashMap<(String, String), Option<Value>>,
    controllers: ControllersOfRecord,
    take_over: bool,
}

impl Resources {
    /// Writes through `client`, remembering discoveries in `found`; fields owned by
    /// `controllers` are a conflict unless `take_over` (which forces every apply).
    pub fn new(client: kube::Client, found: Discovered, controllers: ControllersOfRecord, take_over: bool) -> Self {
        Self { client, found, fetched: HashMap::new(), controllers, take_over }
    }

    /// Takes `object`, just read from the cluster by this action, as the current state of that
    /// object when it is planned (instead of reading it again).
    pub fn fetched(&mut self, object: Value) {
        let key = (
            object["kind"].as_str().unwrap_or_default().to_owned(),
            object["metadata"]["name"].as_str().unwrap_or_default().to_owned(),
        );
        self.fetched.insert(key, Some(object));
    }

    /// Reads the live state of the namespaced `objects` (their namespace exists) all at once,
    /// so planning them one after the other does not wait for one read after another; a read
    /// that fails is left for planning to do again and report.
    pub async fn prefetch(&mut self, objects: &[Value]) {
        let mut reads = Vec::new();
        for object in objects {
            let kind = object["kind"].as_str().unwrap_or_default().to_owned();
            let name = object["metadata"]["name"].as_str().unwrap_or_default().to_owned();
            let key = (kind, name);
            let namespace = object["metadata"]["namespace"].as_str();
            if self.fetched.contains_key(&key) || namespace.is_none() {
                continue;
            }
            let Ok((resource, true)) = self.resolve(object["apiVersion"].as_str().unwrap_or_default(), &key.0).await
            else {
                continue;
            };
            let api = self.api(&resource, namespace);
            reads.push(async move { (key.clone(), api.get_opt(&key.1).await) });
        }
        for (key, read) in futures::future::join_all(reads).await {
            if let Ok(found) = read {
                self.fetched.insert(key, found.as_ref().map(to_json));
            }
        }
    }

    fn apply_params(&self, force: bool) -> PatchParams {
        let params = PatchParams::apply(FIELD_MANAGER);
        if self.take_over || force { params.force() } else { params }
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

    /// Checks that the cluster serves `object`'s kind and that it is namespaced.
    pub async fn check_namespaced(&mut self, object: &Value) -> Result<(), ObjectError> {
        let kind = object["kind"].as_str().unwrap_or_default();
        let (_, namespaced) = self.resolve(object["apiVersion"].as_str().unwrap_or_default(), kind).await?;
        if namespaced {
            Ok(())
        } else {
            let name = object["metadata"]["name"].as_str().unwrap_or_default();
            Err(ObjectError::ClusterScoped { kind: kind.to_owned(), name: name.to_owned() })
        }
    }

    fn api(&self, resource: &ApiResource, namespace: Option<&str>) -> Api<DynamicObject> {
        match namespace {
            Some(namespace) => Api::namespaced_with(self.client.clone(), namespace, resource),
            None => Api::all_with(self.client.clone(), resource),
        }
    }

    /// What applying `object` would do, from the server's dry run over the live object; another
    /// writer's fields make a conflict (controllers of record, see [`super::owners`]) or drift
    /// to take back. Objects in a namespace that does not exist yet are created unchecked.
    pub async fn plan(&mut self, object: Value, how: PlanAs) -> Result<PlannedObject, ObjectError> {
        let PlanAs { create_only, namespace_exists, cluster_wide_allowed } = how;
        let kind = object["kind"].as_str().unwrap_or_default().to_owned();
        let name = object["metadata"]["name"].as_str().unwrap_or_default().to_owned();
        let (resource, namespaced) = self.resolve(object["apiVersion"].as_str().unwrap_or_default(), &kind).await?;
        if !namespaced && !cluster_wide_allowed {
            return Err(ObjectError::ClusterScoped { kind, name });
        }
        let namespace = object["metadata"]["namespace"].as_str().filter(|_| namespaced).map(str::to_owned);
        let planned = |operation, fields, drift| PlannedObject {
            object: object.clone(),
            resource: resource.clone(),
            namespaced,
            operation,
            fields,
            drift,
        };
        if namespaced && !namespace_exists {
            return Ok(planned(Operation::Create, Vec::new(), Vec::new()));
        }
        let api = self.api(&resource, namespace.as_deref());
        let current = match self.fetched.remove(&(kind.clone(), name.clone())) {
            Some(read) => Ok(read),
            None => api.get_opt(&name).await.map(|found| found.as_ref().map(to_json)),
        };
        let current = match current {
            Ok(current) => current,
            // An identity that may not read generated credentials cannot replace them either.
            Err(kube::Error::Api(status)) if status.code == 403 && create_only => {
                return Ok(planned(Operation::Kept, Vec::new(), Vec::new()));
            }
            Err(source) => return Err(request(format!("cannot read {kind} {name}"), source)),
        };
        if create_only && current.is_some() {
            return Ok(planned(Operation::Kept, Vec::new(), Vec::new()));
        }
        if !self.take_over
            && let Some(fields) = current.as_ref().and_then(|live| predicted::predicted(&object, live))
        {
            let operation = if fields.is_empty() { Operation::Unchanged } else { Operation::Update };
            return Ok(planned(operation, fields, Vec::new()));
        }
        let dry_run = |force| self.apply_params(force).dry_run();
        let (after, drift) = match api.patch(&name, &dry_run(false), &Patch::Apply(&object)).await {
            Ok(after) => (after, Vec::new()),
            Err(kube::Error::Api(status)) if status.code == 409 => {
                let owners = owners::from_conflict(&status, current.as_ref());
                if owners.is_empty() {
                    return Err(ObjectError::Changed { kind, name });
                }
                if !self.take_over && owners.iter().any(|owner| self.controllers.includes(&owner.manager)) {
                    return Err(ObjectError::Conflict { kind, name, message: status.message.clone(), owners });
                }
                let after = api
                    .patch(&name, &dry_run(true), &Patch::Apply(&object))
                    .await
                    .map_err(|e| write_error(&kind, &name, e))?;
                (after, owners)
            }
            Err(error) => return Err(write_error(&kind, &name, error)),
        };
        let Some(current) = current else {
            return Ok(planned(Operation::Create, Vec::new(), Vec::new()));
        };
        let fields = diff::field_changes(&current, &to_json(&after));
        let operation = if fields.is_empty() && drift.is_empty() { Operation::Unchanged } else { Operation::Update };
        Ok(planned(operation, fields, drift))
    }

    /// Applies a planned object and returns its metadata as written (nothing is written for
    /// unchanged or kept ones); drift the preview showed is taken back.
    pub async fn apply(&self, planned: &PlannedObject) -> Result<Option<ObjectMeta>, ObjectError> {
        if matches!(planned.operation, Operation::Unchanged | Operation::Kept) {
            return Ok(None);
        }
        let kind = planned.object["kind"].as_str().unwrap_or_default();
        let namespace = planned.object["metadata"]["namespace"].as_str().filter(|_| planned.namespaced);
        let api = self.api(&planned.resource, namespace);
        let params = self.apply_params(!planned.drift.is_empty());
        let written = api
            .patch(planned.name(), &params, &Patch::Apply(&planned.object))
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
                    drift: Vec::new(),
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
            let owners = owners::from_conflict(&status, None);
            if owners.is_empty() {
                ObjectError::Changed { kind: kind.to_owned(), name: name.to_owned() }
            } else {
                ObjectError::Conflict {
                    kind: kind.to_owned(),
                    name: name.to_owned(),
                    message: status.message.clone(),
                    owners,
                }
            }
        }
        source => request(format!("cannot apply {kind} {name}"), source),
    }
}
