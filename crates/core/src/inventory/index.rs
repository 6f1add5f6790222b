//! The stores' contents at one moment, indexed by namespace: what each tenant's row and detail
//! are built from.

use std::collections::HashMap;
use std::sync::Arc;

use super::facts;
use super::objects::{
    CapsuleTenant, Meta, TenantIngress, TenantNamespace, TenantPod, WatchedCronJob, WatchedDeployment,
    WatchedStatefulSet,
};
use super::summary::{CapsuleTenancy, TenantView};
use super::workloads::{self, Workload, WorkloadKey};
use crate::tenancy::CAPSULE_TENANT_LABEL;

/// The objects of the stores a tenant view reads, taken at one moment.
pub struct Snapshot {
    /// Deployments of every namespace.
    pub deployments: Vec<Arc<WatchedDeployment>>,
    /// StatefulSets of every namespace.
    pub sets: Vec<Arc<WatchedStatefulSet>>,
    /// Pods of every namespace.
    pub pods: Vec<Arc<TenantPod>>,
    /// CronJobs of every namespace.
    pub cronjobs: Vec<Arc<WatchedCronJob>>,
    /// Ingresses of every namespace.
    pub ingresses: Vec<Arc<TenantIngress>>,
    /// Capsule's `Tenant`s, when a rule reads them and the cluster serves them.
    pub capsule: Option<Vec<Arc<CapsuleTenant>>>,
}

/// A snapshot indexed by namespace.
pub struct Index<'a> {
    workloads: HashMap<&'a str, Vec<Workload<'a>>>,
    pods: HashMap<WorkloadKey<'a>, Vec<&'a TenantPod>>,
    failed_schedules: HashMap<&'a str, Vec<String>>,
    ingresses: HashMap<&'a str, Vec<(&'a str, Vec<String>)>>,
    capsule: Option<HashMap<&'a str, Vec<String>>>,
}

impl<'a> Index<'a> {
    /// Indexes `snapshot`.
    pub fn new(snapshot: &'a Snapshot) -> Self {
        let mut failed_schedules: HashMap<&str, Vec<String>> = HashMap::new();
        for cronjob in snapshot.cronjobs.iter().filter(|c| facts::last_run_failed(c)) {
            failed_schedules.entry(namespace_of(&cronjob.metadata)).or_default().push(cronjob.metadata.name.clone());
        }
        let mut ingresses: HashMap<&str, Vec<(&str, Vec<String>)>> = HashMap::new();
        for ingress in &snapshot.ingresses {
            let name = ingress.metadata.name.as_str();
            ingresses.entry(namespace_of(&ingress.metadata)).or_default().push((name, facts::ingress_hosts(ingress)));
        }
        let capsule = snapshot.capsule.as_ref().map(|tenants| {
            tenants
                .iter()
                .map(|tenant| {
                    let owners = tenant.spec.iter().flat_map(|s| &s.owners);
                    let named = owners.filter_map(|o| Some(format!("{} {}", o.kind.as_deref()?, o.name.as_deref()?)));
                    (tenant.metadata.name.as_str(), named.collect())
                })
                .collect()
        });
        Self {
            workloads: workloads::by_namespace(&snapshot.deployments, &snapshot.sets),
            pods: workloads::pods_by_workload(&snapshot.pods),
            failed_schedules,
            ingresses,
            capsule,
        }
    }

    /// What the snapshot holds of `namespace`, whose main workload the tenancy rule may name.
    pub fn view(&self, namespace: &'a TenantNamespace, named_main: Option<&str>) -> TenantView<'_> {
        let name = namespace.metadata.name.as_str();
        let found: &[Workload<'a>] = self.workloads.get(name).map(Vec::as_slice).unwrap_or_default();
        let pods = found
            .iter()
            .map(|workload| self.pods.get(&(name, workload.kind, workload.name())).cloned().unwrap_or_default())
            .collect();
        let mut ingresses = self.ingresses.get(name).cloned().unwrap_or_default();
        ingresses.sort();
        let capsule = match (&self.capsule, namespace.metadata.labels.get(CAPSULE_TENANT_LABEL)) {
            (_, None) => CapsuleTenancy::None,
            (None, Some(_)) => CapsuleTenancy::Unread,
            (Some(tenants), Some(name)) => match tenants.get(name) {
                Some(owners) => CapsuleTenancy::Found(owners.clone()),
                None => CapsuleTenancy::Missing,
            },
        };
        TenantView {
            namespace,
            capsule,
            workloads: found,
            pods,
            main: workloads::main_index(found, named_main),
            failed_schedules: self.failed_schedules.get(name).cloned().unwrap_or_default(),
            ingresses,
        }
    }
}

fn namespace_of(meta: &Meta) -> &str {
    meta.namespace.as_deref().unwrap_or_default()
}
