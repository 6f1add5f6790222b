//! What a change does to many tenants of one cluster, found on this machine: every tenant's
//! spec from one list of the tenant namespaces, the spec after the change, both rendered, and
//! the fields that differ — no dry run, so a thousand tenants take a request and a moment.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Namespace;
use kube::ResourceExt as _;
use kube::api::{Api, ListParams};
use serde_json::Value;
use tenantry_model::{Change, FieldChange};

use super::{ActionError, Batch, diff, stored, transition};
use crate::labels::{SPEC_ANNOTATION, TENANT_LABEL};

/// A field a change sets on one rendered object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedChange {
    /// The object, as `Kind/name`.
    pub object: String,
    /// The field and its values before and after.
    pub field: FieldChange,
}

impl Batch<'_> {
    /// For each `(tenant, change)`, the fields its rendered objects change, or why that cannot
    /// be told here (no readable spec, a change that renders nothing new, an invalid change).
    pub async fn rendered_changes(
        &self,
        changes: &[(String, Change)],
    ) -> Result<Vec<Result<Vec<RenderedChange>, String>>, ActionError> {
        let namespaces = Api::<Namespace>::all(self.session.client.clone())
            .list(&ListParams::default().labels(TENANT_LABEL))
            .await
            .map_err(|source| ActionError::Cluster { what: "cannot list the tenants".to_owned(), source })?;
        let specs: BTreeMap<String, String> = namespaces
            .items
            .iter()
            .filter_map(|ns| Some((ns.name_any(), ns.annotations().get(SPEC_ANNOTATION)?.clone())))
            .collect();
        Ok(changes.iter().map(|(id, change)| self.rendered(id, specs.get(id), change)).collect())
    }

    fn rendered(&self, id: &str, spec: Option<&String>, change: &Change) -> Result<Vec<RenderedChange>, String> {
        let now = stored::parse_spec(spec.ok_or("it has no spec")?)?;
        let next = transition::next_spec(id, Some(&now), &BTreeMap::new(), change)
            .map_err(|e| crate::error::chain(&e))?
            .ok_or("it would be deleted")?;
        let render = |spec| {
            self.actions.render_spec(id, spec).map_err(|e| crate::error::chain(&e)).map(|manifests| {
                manifests
                    .into_iter()
                    .map(|m| (format!("{}/{}", m.object["kind"].as_str().unwrap_or("?"), name(&m.object)), m.object))
                    .collect::<BTreeMap<String, Value>>()
            })
        };
        let (before, after) = (render(&now)?, render(&next)?);
        let mut changes = Vec::new();
        for object in before.keys().chain(after.keys().filter(|k| !before.contains_key(*k))) {
            let (old, new) = (before.get(object).unwrap_or(&Value::Null), after.get(object).unwrap_or(&Value::Null));
            // The same hidden value on both sides is a generated credential the cluster keeps.
            changes.extend(
                diff::field_changes(old, new)
                    .into_iter()
                    .filter(|field| field.before != field.after)
                    .map(|field| RenderedChange { object: object.clone(), field }),
            );
        }
        Ok(changes)
    }
}

fn name(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or("?")
}
