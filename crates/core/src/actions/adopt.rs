//! Adopting a tenant Tenantry did not create: the spec recorded from what runs (sizes, domains
//! from the Ingress hosts, the version of the main workload) for what the request leaves
//! empty, and how the objects a blueprint renders map onto those that exist.

use std::collections::BTreeSet;

use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::Ingress;
use kube::ResourceExt as _;
use kube::api::{Api, ListParams};
use tenantry_model::TenantSpec;

use super::unmanaged::{self, Workload};
use super::{ActionError, validate};
use crate::blueprint::Manifest;

/// Kinds whose existing objects must each map onto one the blueprint renders: what serves or
/// runs the site.
const MAPPED_KINDS: [&str; 5] = ["Deployment", "StatefulSet", "CronJob", "Service", "Ingress"];
/// Kinds that run pods: one of them cannot become another.
const WORKLOAD_KINDS: [&str; 2] = ["Deployment", "StatefulSet"];

/// Why a tenant cannot be adopted with the blueprint asked for; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdoptError {
    /// An existing object has nothing the blueprint renders in its place.
    #[error(
        "{id} cannot be adopted with blueprint {blueprint}: its {kind} {name} has no counterpart in what the blueprint renders ({rendered}); adopt it without a blueprint, or use a blueprint that renders it"
    )]
    NoCounterpart {
        /// The tenant.
        id: String,
        /// The blueprint.
        blueprint: String,
        /// The existing object's kind.
        kind: String,
        /// Its name.
        name: String,
        /// What the blueprint renders, as `Kind/name`.
        rendered: String,
    },
    /// The blueprint renders an object of another kind under an existing workload's name.
    #[error(
        "{id} cannot be adopted with blueprint {blueprint}: it runs {name} as a {existing}, and the blueprint renders {name} as a {rendered}"
    )]
    OtherKind {
        /// The tenant.
        id: String,
        /// The blueprint.
        blueprint: String,
        /// The name both share.
        name: String,
        /// The existing object's kind.
        existing: String,
        /// The kind the blueprint renders.
        rendered: String,
    },
}

/// What runs in a namespace about to be adopted.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// Its Deployments and StatefulSets.
    pub workloads: Vec<Workload>,
    /// The hosts its Ingresses serve.
    pub hosts: Vec<String>,
    /// Its objects of the kinds a blueprint's must map onto, as `(kind, name)`.
    pub existing: Vec<(String, String)>,
}

/// Reads what runs in namespace `id`.
pub async fn observe(client: &kube::Client, id: &str) -> Result<Observed, ActionError> {
    let failed = |source| ActionError::Cluster { what: format!("cannot read what runs in {id}"), source };
    let all = ListParams::default();
    let workloads = unmanaged::workloads(client, id).await?;
    let ingresses = Api::<Ingress>::namespaced(client.clone(), id).list(&all).await.map_err(failed)?;
    let services = Api::<Service>::namespaced(client.clone(), id).list(&all).await.map_err(failed)?;
    let cronjobs = Api::<CronJob>::namespaced(client.clone(), id).list(&all).await.map_err(failed)?;
    let hosts: BTreeSet<String> = ingresses
        .items
        .iter()
        .flat_map(|i| i.spec.iter().flat_map(|s| s.rules.iter().flatten()))
        .filter_map(|rule| rule.host.clone())
        .collect();
    let mut existing: Vec<(String, String)> = workloads.iter().map(|w| (w.kind.to_owned(), w.name.clone())).collect();
    existing.extend(ingresses.items.iter().map(|i| ("Ingress".to_owned(), i.name_any())));
    existing.extend(services.items.iter().map(|s| ("Service".to_owned(), s.name_any())));
    existing.extend(cronjobs.items.iter().map(|c| ("CronJob".to_owned(), c.name_any())));
    Ok(Observed { workloads, hosts: hosts.into_iter().collect(), existing })
}

/// The spec to record for tenant `id`: what `requested` gives, else what `observed` shows.
pub fn filled(id: &str, requested: &TenantSpec, observed: &Observed) -> TenantSpec {
    let mut spec = requested.clone();
    if spec.display_name.trim().is_empty() {
        spec.display_name = id.to_owned();
    }
    if spec.domains.is_empty() {
        spec.domains = observed.hosts.iter().filter(|host| validate::domain(host).is_ok()).cloned().collect();
    }
    let main = main_workload(&observed.workloads, &spec);
    if spec.version.is_empty() {
        let version = main.and_then(|w| w.version.clone()).filter(|v| validate::version(v).is_ok());
        spec.version = version.unwrap_or_default();
    }
    if spec.replicas == 0 {
        spec.replicas = main.map_or(1, |w| w.replicas.max(1));
    }
    if spec.blueprint.is_empty() {
        spec.workloads = observed.workloads.iter().map(|w| (w.key(), w.replicas)).collect();
        spec.replicas = 0;
    }
    spec
}

/// The workload that serves the site: the blueprint's app Deployment when it exists, else the
/// Deployment with the most pods, else the first workload.
fn main_workload<'a>(workloads: &'a [Workload], spec: &TenantSpec) -> Option<&'a Workload> {
    let app = workloads.iter().find(|w| !spec.blueprint.is_empty() && w.kind == "Deployment" && w.name == "app");
    let largest = workloads.iter().filter(|w| w.kind == "Deployment").max_by_key(|w| w.replicas);
    app.or(largest).or(workloads.first())
}

/// How `rendered` maps onto what exists: every existing object of a mapped kind must have a
/// rendered counterpart of its kind. Returns the preview's notes on what is taken over and what
/// is added.
pub fn mapping(
    id: &str,
    blueprint: &str,
    existing: &[(String, String)],
    rendered: &[Manifest],
) -> Result<Vec<String>, AdoptError> {
    let rendered_keys: Vec<(&str, &str)> = rendered.iter().map(|m| (m.kind(), m.name())).collect();
    for (kind, name) in existing.iter().filter(|(kind, _)| MAPPED_KINDS.contains(&kind.as_str())) {
        if rendered_keys.contains(&(kind.as_str(), name.as_str())) {
            continue;
        }
        let other = rendered_keys.iter().find(|(other_kind, other_name)| {
            other_name == name && WORKLOAD_KINDS.contains(other_kind) && WORKLOAD_KINDS.contains(&kind.as_str())
        });
        if let Some((other_kind, _)) = other {
            return Err(AdoptError::OtherKind {
                id: id.to_owned(),
                blueprint: blueprint.to_owned(),
                name: name.clone(),
                existing: kind.clone(),
                rendered: (*other_kind).to_owned(),
            });
        }
        return Err(AdoptError::NoCounterpart {
            id: id.to_owned(),
            blueprint: blueprint.to_owned(),
            kind: kind.clone(),
            name: name.clone(),
            rendered: rendered_keys.iter().map(|(k, n)| format!("{k}/{n}")).collect::<Vec<_>>().join(", "),
        });
    }
    let exists = |kind: &str, name: &str| existing.iter().any(|(k, n)| k == kind && n == name);
    let (kept, added): (Vec<_>, Vec<_>) = rendered_keys.iter().partition(|(kind, name)| exists(kind, name));
    let listed = |keys: Vec<&(&str, &str)>| keys.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ");
    let mut notes = Vec::new();
    if !kept.is_empty() {
        notes.push(format!("Adopting maps the blueprint's objects onto these that exist: {}.", listed(kept)));
    }
    if !added.is_empty() {
        notes.push(format!("The blueprint adds: {}.", listed(added)));
    }
    notes.push("Existing credentials Secrets are kept as they are, never generated again.".into());
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn manifest(kind: &str, name: &str) -> Manifest {
        Manifest::recorded(json!({"kind": kind, "metadata": {"name": name}}))
    }

    fn existing(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, n)| ((*k).to_owned(), (*n).to_owned())).collect()
    }

    #[test]
    fn every_existing_object_needs_a_counterpart_of_its_kind() {
        let rendered = [manifest("Deployment", "app"), manifest("Service", "app"), manifest("ConfigMap", "app-config")];
        let notes =
            mapping("shop", "web", &existing(&[("Deployment", "app"), ("Service", "app")]), &rendered).expect("maps");
        assert!(notes[0].contains("Deployment app, Service app"), "{notes:?}");
        assert!(notes[1].contains("ConfigMap app-config"), "{notes:?}");
        let worker = mapping("shop", "web", &existing(&[("Deployment", "app"), ("Deployment", "worker")]), &rendered);
        assert!(matches!(worker, Err(AdoptError::NoCounterpart { ref name, .. }) if name == "worker"), "{worker:?}");
        let set = mapping("shop", "web", &existing(&[("StatefulSet", "app")]), &rendered);
        assert!(set.expect_err("refused").to_string().contains("runs app as a StatefulSet"));
    }

    #[test]
    fn empty_fields_are_read_from_what_runs() {
        let observed = Observed {
            workloads: vec![
                Workload {
                    kind: "Deployment",
                    name: "web".into(),
                    replicas: 3,
                    gitops: None,
                    version: Some("2.4.1".into()),
                },
                Workload {
                    kind: "StatefulSet",
                    name: "db".into(),
                    replicas: 1,
                    gitops: None,
                    version: Some("16".into()),
                },
            ],
            hosts: vec!["*.bad..example".into(), "shop.example".into()],
            existing: Vec::new(),
        };
        let recorded =
            filled("shop-alder", &TenantSpec { customer: "Alder".into(), ..TenantSpec::default() }, &observed);
        assert_eq!(recorded.display_name, "shop-alder");
        assert_eq!(
            (recorded.version.as_str(), recorded.domains.as_slice()),
            ("2.4.1", ["shop.example".to_owned()].as_slice())
        );
        assert_eq!(
            recorded.workloads.into_iter().collect::<Vec<_>>(),
            [("Deployment/web".to_owned(), 3), ("StatefulSet/db".to_owned(), 1)]
        );
        let requested = TenantSpec { blueprint: "web".into(), version: "3.0".into(), ..TenantSpec::default() };
        let with_blueprint = filled("shop-alder", &requested, &observed);
        assert_eq!((with_blueprint.version.as_str(), with_blueprint.replicas), ("3.0", 3));
        assert!(with_blueprint.workloads.is_empty());
    }
}
