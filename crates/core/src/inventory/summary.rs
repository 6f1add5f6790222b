//! One tenant's row from what the inventory sees of its namespace: health from every workload,
//! and each field from the spec, else from where the tenancy rule, the Ingresses or the main
//! workload say — with where each was read.

use tenantry_model::{FieldOrigin, Freshness, TenantSpec, TenantSummary, WorkloadSummary};

use super::facts;
use super::objects::{TenantNamespace, TenantPod};
use super::workloads::Workload;
use crate::gitops;
use crate::labels::{REVISION_ANNOTATION, SPEC_ANNOTATION, TENANT_LABEL};
use crate::status::{self, Declared, WorkloadFacts};
use crate::tenancy::{CAPSULE_TENANT_LABEL, FieldSource, FieldSources};

/// What is known of the Capsule `Tenant` a namespace's label names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CapsuleTenancy {
    /// The namespace carries no Capsule label.
    None,
    /// Capsule's `Tenant`s are not read (no rule uses Capsule, the cluster does not serve
    /// them, or this identity may not list them).
    Unread,
    /// The `Tenant` the label names does not exist.
    Missing,
    /// The `Tenant` exists, with these owners (`User alice`).
    Found(Vec<String>),
}

/// Everything the inventory knows of one tenant namespace, borrowed from the stores.
pub struct TenantView<'a> {
    /// The namespace.
    pub namespace: &'a TenantNamespace,
    /// The Capsule `Tenant` its label names.
    pub capsule: CapsuleTenancy,
    /// Its workloads, sorted by kind and name.
    pub workloads: &'a [Workload<'a>],
    /// The pods of each workload, in the same order.
    pub pods: Vec<Vec<&'a TenantPod>>,
    /// The index of the main workload.
    pub main: Option<usize>,
    /// The CronJobs whose last scheduled run failed.
    pub failed_schedules: Vec<String>,
    /// Its Ingresses by name, with the hosts each serves.
    pub ingresses: Vec<(&'a str, Vec<String>)>,
}

/// What the tenancy rule that made the namespace a tenant says about its fields.
pub struct Rule<'a> {
    /// Its number in the tenancy file (1-based).
    pub number: usize,
    /// The labels and annotations it reads fields from.
    pub sources: Option<&'a FieldSources>,
    /// Its display alias for this namespace.
    pub alias: Option<String>,
    /// Whether the rules are Tenantry's own (no tenancy file).
    pub default: bool,
}

/// The tenant's live row and where each of its fields came from.
pub fn summarize(context: &str, view: &TenantView<'_>, rule: &Rule<'_>) -> (TenantSummary, Vec<FieldOrigin>) {
    let ns = view.namespace;
    let annotation = ns.metadata.annotations.get(SPEC_ANNOTATION);
    let spec: Option<TenantSpec> = annotation.and_then(|json| serde_json::from_str(json).ok());
    let declared = match (&spec, annotation) {
        (Some(spec), _) => Declared::Spec(spec),
        (None, Some(_)) => Declared::Unreadable,
        (None, None) => Declared::Nothing,
    };
    let facts: Vec<WorkloadFacts> =
        view.workloads.iter().zip(&view.pods).map(|(workload, pods)| workload.facts(pods)).collect();
    let (health, reason) = status::health(declared, &facts, view.main, &view.failed_schedules);
    let main = view.main.map(|index| (&view.workloads[index], &facts[index]));
    let mut origins = Origins { spec: spec.is_some(), list: Vec::new() };
    let tenant_by = if rule.default {
        format!("Tenantry's label {TENANT_LABEL}")
    } else {
        format!("rule {} of the tenancy rules", rule.number)
    };
    origins.list.push(FieldOrigin { field: "Tenant".into(), source: tenant_by });
    let spec = spec.unwrap_or_default();
    let mut display_name = origins.field("Display name", spec.display_name, ns, rule, |s| s.display_name.as_ref());
    if let Some(alias) = rule.alias.as_ref().filter(|_| display_name.is_empty()) {
        display_name = alias.clone();
        origins.set("Display name", format!("alias of rule {}", rule.number));
    }
    let mut customer = origins.field("Customer", spec.customer, ns, rule, |s| s.customer.as_ref());
    if let Some(capsule) = ns.metadata.labels.get(CAPSULE_TENANT_LABEL).filter(|_| customer.is_empty()) {
        customer = capsule.to_owned();
        let source = match &view.capsule {
            CapsuleTenancy::Found(owners) if owners.is_empty() => format!("Capsule Tenant {capsule}"),
            CapsuleTenancy::Found(owners) => format!("Capsule Tenant {capsule} (owners: {})", owners.join(", ")),
            CapsuleTenancy::Missing => format!("label {CAPSULE_TENANT_LABEL} (no Capsule Tenant {capsule} exists)"),
            CapsuleTenancy::None | CapsuleTenancy::Unread => format!("Capsule tenant (label {CAPSULE_TENANT_LABEL})"),
        };
        origins.set("Customer", source);
    }
    let plan = origins.field("Plan", spec.plan, ns, rule, |s| s.plan.as_ref());
    let domains = origins.domains(spec.domains, &view.ingresses);
    let version = origins.version(spec.version, main.map(|(workload, _)| workload));
    let summary = TenantSummary {
        id: ns.metadata.name.clone(),
        cluster: context.to_owned(),
        display_name,
        customer,
        domains,
        blueprint: spec.blueprint,
        version,
        plan,
        health,
        reason,
        ready: main.map_or(0, |(_, facts)| facts.ready),
        desired: main.map_or(0, |(_, facts)| facts.desired),
        restarts: facts.iter().flat_map(|w| &w.pods).map(|p| p.restarts).sum(),
        revision: revision(ns),
        created: ns.metadata.created.as_ref().map(|t| t.0.to_string()),
        last_backup: None,
        last_change: facts::last_change(ns),
        warnings: 0,
        gitops: gitops::controller(&ns.metadata.labels, &ns.metadata.annotations).or_else(|| {
            view.workloads
                .iter()
                .find_map(|workload| gitops::controller(&workload.meta.labels, &workload.meta.annotations))
        }),
        drift: None,
        freshness: Freshness::Live,
    };
    (summary, origins.list)
}

/// The tenant's workloads as the detail lists them, the main one first.
pub fn workload_rows(view: &TenantView<'_>) -> Vec<WorkloadSummary> {
    let mut rows: Vec<WorkloadSummary> = view
        .workloads
        .iter()
        .zip(&view.pods)
        .enumerate()
        .map(|(index, (workload, pods))| workload.summary(&workload.facts(pods), view.main == Some(index)))
        .collect();
    rows.sort_by_key(|row| !row.main);
    rows
}

/// The spec revision of the namespace (0 without one).
pub fn revision(ns: &TenantNamespace) -> u64 {
    ns.metadata.annotations.get(REVISION_ANNOTATION).and_then(|r| r.parse().ok()).unwrap_or(0)
}

/// The origins of a row's fields as they are read.
struct Origins {
    /// Whether the namespace has a readable spec.
    spec: bool,
    list: Vec<FieldOrigin>,
}

impl Origins {
    fn set(&mut self, field: &str, source: String) {
        self.list.retain(|origin| origin.field != field);
        self.list.push(FieldOrigin { field: field.to_owned(), source });
    }

    /// `from_spec`, or else what the rule's `source` reads on `ns`.
    fn field(
        &mut self,
        field: &str,
        from_spec: String,
        ns: &TenantNamespace,
        rule: &Rule<'_>,
        source: impl Fn(&FieldSources) -> Option<&FieldSource>,
    ) -> String {
        if !from_spec.is_empty() {
            self.set(field, "spec".into());
            return from_spec;
        }
        let Some(source) = rule.sources.and_then(source) else {
            self.set(field, self.unset());
            return String::new();
        };
        let (read, described) = match source {
            FieldSource::Label(key) => (ns.metadata.labels.get(key), format!("label {key}")),
            FieldSource::Annotation(key) => (ns.metadata.annotations.get(key), format!("annotation {key}")),
        };
        match read.map(|value| value.trim()).filter(|value| !value.is_empty()) {
            Some(value) => {
                self.set(field, described);
                value.to_owned()
            }
            None => {
                self.set(field, format!("{described} (missing or blank)"));
                String::new()
            }
        }
    }

    /// The spec's domains, else the hosts of the namespace's Ingresses.
    fn domains(&mut self, from_spec: Vec<String>, ingresses: &[(&str, Vec<String>)]) -> Vec<String> {
        if !from_spec.is_empty() {
            self.set("Domains", "spec".into());
            return from_spec;
        }
        let mut hosts: Vec<String> = ingresses.iter().flat_map(|(_, hosts)| hosts.iter().cloned()).collect();
        hosts.sort();
        hosts.dedup();
        let serving: Vec<&str> =
            ingresses.iter().filter(|(_, hosts)| !hosts.is_empty()).map(|(name, _)| *name).collect();
        let source = if serving.is_empty() { self.unset() } else { format!("hosts of Ingress {}", serving.join(", ")) };
        self.set("Domains", source);
        hosts
    }

    /// The spec's version, else what the main workload says it runs.
    fn version(&mut self, from_spec: String, main: Option<&Workload<'_>>) -> String {
        if !from_spec.is_empty() {
            self.set("Version", "spec".into());
            return from_spec;
        }
        match main.and_then(Workload::version) {
            Some((version, source)) => {
                self.set("Version", source);
                version
            }
            None => {
                self.set("Version", self.unset());
                String::new()
            }
        }
    }

    fn unset(&self) -> String {
        if self.spec { "not set in the spec".into() } else { "not found".into() }
    }
}
