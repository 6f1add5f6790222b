//! A namespace's workloads (Deployments and StatefulSets): which pods each controls, which one is
//! the main workload, who manages each, and the version it runs.

use std::collections::HashMap;
use std::sync::Arc;

use tenantry_model::WorkloadSummary;

use super::objects::{Meta, TenantPod, WatchedDeployment, WatchedStatefulSet, WorkloadProgress, WorkloadShape};
use crate::gitops;
use crate::labels::{APP_LABEL, MANAGED_BY};
use crate::pairs::Lookup;
use crate::status::WorkloadFacts;

/// The well-known label of the version an object runs.
const VERSION_LABEL: &str = "app.kubernetes.io/version";
/// Helm's label naming the chart and its version, e.g. `wordpress-15.2.3`.
const HELM_CHART_LABEL: &str = "helm.sh/chart";
/// Helm's annotation naming the release an object belongs to.
const HELM_RELEASE_ANNOTATION: &str = "meta.helm.sh/release-name";

/// One Deployment or StatefulSet as the inventory reads it.
#[derive(Debug, Clone, Copy)]
pub struct Workload<'a> {
    /// `Deployment` or `StatefulSet`.
    pub kind: &'static str,
    /// Its metadata.
    pub meta: &'a Meta,
    shape: Option<&'a WorkloadShape>,
    progress: Option<&'a WorkloadProgress>,
}

impl<'a> Workload<'a> {
    /// Its name.
    pub fn name(&self) -> &'a str {
        &self.meta.name
    }

    /// Pods it asks for (Kubernetes defaults it to 1).
    pub fn desired(&self) -> i32 {
        self.shape.and_then(|s| s.replicas).unwrap_or(1)
    }

    /// The images its containers run, as written.
    pub fn images(&self) -> &'a [String] {
        self.shape.map(|s| s.images.as_slice()).unwrap_or_default()
    }

    /// What the health rules need of it and of `pods`, its pods. Its ready pods are counted from
    /// the pods themselves (Ready, not being deleted — what the controller's `readyReplicas`
    /// says once it has caught up), so a pod's readiness shows without waiting for the
    /// controllers to echo it into the workload's status.
    pub fn facts(&self, pods: &[&TenantPod]) -> WorkloadFacts {
        let progress = self.progress.cloned().unwrap_or_default();
        let ready = pods.iter().filter(|pod| pod.facts.ready && !pod.terminating).count();
        WorkloadFacts {
            name: self.name().to_owned(),
            desired: self.desired(),
            ready: i32::try_from(ready).unwrap_or(i32::MAX),
            updated: progress.updated_replicas.unwrap_or(0),
            observed: progress.observed_generation.unwrap_or(0) >= self.meta.generation.unwrap_or(0),
            pods: pods.iter().map(|pod| pod.facts.clone()).collect(),
        }
    }

    /// The row the detail lists for it.
    pub fn summary(&self, facts: &WorkloadFacts, main: bool) -> WorkloadSummary {
        WorkloadSummary {
            kind: self.kind.to_owned(),
            name: self.name().to_owned(),
            ready: facts.ready,
            desired: facts.desired,
            images: self.images().iter().map(|image| short_image(image).to_owned()).collect(),
            owner: manager(self.meta),
            main,
        }
    }

    /// The version it runs and where that was read: the well-known version label, the chart
    /// version of Helm's chart label, or the tag of its first tagged image.
    pub fn version(&self) -> Option<(String, String)> {
        version_of(self.kind, self.name(), &self.meta.labels, self.images())
    }
}

/// The version workload `kind`/`name` with `labels` and `images` runs, and where that was
/// read: the well-known version label, Helm's chart label, or the first tagged image.
pub fn version_of(kind: &str, name: &str, labels: &impl Lookup, images: &[String]) -> Option<(String, String)> {
    let of = format!("{kind} {name}");
    if let Some(version) = labels.value(VERSION_LABEL).filter(|v| !v.is_empty()) {
        return Some((version.to_owned(), format!("label {VERSION_LABEL} of {of}")));
    }
    if let Some((_, version)) = labels.value(HELM_CHART_LABEL).and_then(chart_version) {
        return Some((version.to_owned(), format!("label {HELM_CHART_LABEL} of {of}")));
    }
    images.iter().find_map(|image| image_tag(image)).map(|tag| (tag.to_owned(), format!("image tag of {of}")))
}

/// Every workload by namespace, each namespace's sorted by kind and name.
pub fn by_namespace<'a>(
    deployments: &'a [Arc<WatchedDeployment>],
    sets: &'a [Arc<WatchedStatefulSet>],
) -> HashMap<&'a str, Vec<Workload<'a>>> {
    let mut found: HashMap<&'a str, Vec<Workload<'a>>> = HashMap::new();
    let deployments = deployments.iter().map(|d| Workload {
        kind: "Deployment",
        meta: &d.metadata,
        shape: d.spec.as_ref(),
        progress: d.status.as_ref(),
    });
    let sets = sets.iter().map(|s| Workload {
        kind: "StatefulSet",
        meta: &s.metadata,
        shape: s.spec.as_ref(),
        progress: s.status.as_ref(),
    });
    for workload in deployments.chain(sets) {
        found.entry(workload.meta.namespace.as_deref().unwrap_or_default()).or_default().push(workload);
    }
    for workloads in found.values_mut() {
        workloads.sort_by(|a, b| (a.kind, a.name()).cmp(&(b.kind, b.name())));
    }
    found
}

/// A workload's key: namespace, kind and name.
pub type WorkloadKey<'a> = (&'a str, &'static str, &'a str);

/// Pods by the workload that controls them; pods of Jobs and bare pods are left out.
pub fn pods_by_workload(pods: &[Arc<TenantPod>]) -> HashMap<WorkloadKey<'_>, Vec<&TenantPod>> {
    let mut found: HashMap<WorkloadKey<'_>, Vec<&TenantPod>> = HashMap::new();
    for pod in pods {
        if let Some((kind, name)) = controller_of(pod) {
            found.entry((pod.namespace.as_str(), kind, name)).or_default().push(pod);
        }
    }
    found
}

/// The workload that runs `pod`: a Deployment through its ReplicaSet, or a StatefulSet.
fn controller_of(pod: &TenantPod) -> Option<(&'static str, &str)> {
    let owner = pod.controller.as_ref()?;
    match owner.kind.as_str() {
        "StatefulSet" => Some(("StatefulSet", owner.name.as_str())),
        "ReplicaSet" => {
            let name = pod
                .template_hash
                .as_deref()
                .and_then(|hash| owner.name.strip_suffix(hash)?.strip_suffix('-'))
                .or_else(|| owner.name.rsplit_once('-').map(|(name, _)| name))?;
            Some(("Deployment", name))
        }
        _ => None,
    }
}

/// Which of `workloads` serves the site: Tenantry's app Deployment, the one the tenancy rule
/// `named`, else the Deployment with the most pods, else the workload with the most pods.
pub fn main_index(workloads: &[Workload<'_>], named: Option<&str>) -> Option<usize> {
    let is_app = |w: &Workload<'_>| w.kind == "Deployment" && w.meta.labels.get(APP_LABEL.0) == Some(APP_LABEL.1);
    let largest = |deployments_only: bool| {
        workloads
            .iter()
            .enumerate()
            .filter(|(_, w)| !deployments_only || w.kind == "Deployment")
            .max_by_key(|(_, w)| (w.desired(), std::cmp::Reverse(w.name())))
            .map(|(index, _)| index)
    };
    workloads
        .iter()
        .position(is_app)
        .or_else(|| named.and_then(|name| workloads.iter().position(|w| w.name() == name)))
        .or_else(|| largest(true))
        .or_else(|| largest(false))
}

/// Who manages the object: Tenantry, a GitOps controller, Helm (by chart or release), or
/// nobody Tenantry knows.
pub fn manager(meta: &Meta) -> String {
    let label = |key: &str| meta.labels.get(key);
    if label(MANAGED_BY.0) == Some(MANAGED_BY.1) {
        return "Tenantry".into();
    }
    if let Some(controller) = gitops::controller(&meta.labels, &meta.annotations) {
        return controller;
    }
    if let Some(chart) = label(HELM_CHART_LABEL) {
        return format!("Helm chart {chart}");
    }
    let release = meta.annotations.get(HELM_RELEASE_ANNOTATION);
    match release {
        Some(release) => format!("Helm release {release}"),
        None if label(MANAGED_BY.0).is_some_and(|m| m.eq_ignore_ascii_case("helm")) => "Helm".into(),
        None => "unmanaged".into(),
    }
}

/// A chart label split into chart name and version: `wordpress-15.2.3` → `("wordpress", "15.2.3")`.
fn chart_version(chart: &str) -> Option<(&str, &str)> {
    let at =
        chart.char_indices().find(|(i, c)| *c == '-' && chart[i + 1..].starts_with(|d: char| d.is_ascii_digit()))?.0;
    Some((&chart[..at], &chart[at + 1..]))
}

/// An image without its registry and path: `registry.example.com/shop/web:2.4` → `web:2.4`.
fn short_image(image: &str) -> &str {
    image.rsplit('/').next().unwrap_or(image)
}

/// An image's tag, unless it has none, is `latest` or names a digest.
fn image_tag(image: &str) -> Option<&str> {
    let last = short_image(image);
    if last.contains('@') {
        return None;
    }
    last.split_once(':').map(|(_, tag)| tag).filter(|tag| !tag.is_empty() && *tag != "latest")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn meta(name: &str, labels: &[(&str, &str)]) -> Meta {
        let labels: BTreeMap<&str, &str> = labels.iter().copied().collect();
        serde_json::from_value(serde_json::json!({"name": name, "namespace": "shop", "labels": labels}))
            .expect("decodes")
    }

    fn shape(replicas: i32, images: &[&str]) -> WorkloadShape {
        WorkloadShape { replicas: Some(replicas), images: images.iter().map(|i| (*i).to_owned()).collect() }
    }

    #[test]
    fn the_version_comes_from_the_version_label_the_chart_or_the_image_tag() {
        let labelled = meta("web", &[(VERSION_LABEL, "2.4.0"), (HELM_CHART_LABEL, "shop-1.0.0")]);
        let charted = meta("web", &[(HELM_CHART_LABEL, "my-shop-15.2.3-rc.1")]);
        let plain = meta("db", &[]);
        let images = shape(1, &["busybox", "registry.example.com:5000/shop/web:3.1", "sidecar:latest"]);
        let version = |meta: &Meta, kind| Workload { kind, meta, shape: Some(&images), progress: None }.version();
        assert_eq!(
            version(&labelled, "Deployment"),
            Some(("2.4.0".into(), "label app.kubernetes.io/version of Deployment web".into()))
        );
        assert_eq!(
            version(&charted, "Deployment"),
            Some(("15.2.3-rc.1".into(), "label helm.sh/chart of Deployment web".into()))
        );
        assert_eq!(version(&plain, "StatefulSet"), Some(("3.1".into(), "image tag of StatefulSet db".into())));
        let digest = shape(1, &["nginx@sha256:0123abcd", "app:latest"]);
        assert_eq!(Workload { kind: "Deployment", meta: &plain, shape: Some(&digest), progress: None }.version(), None);
    }

    #[test]
    fn the_main_workload_is_tenantrys_app_the_named_one_or_the_largest_deployment() {
        let (app, web, worker, db) =
            (meta("app", &[(APP_LABEL.0, APP_LABEL.1)]), meta("web", &[]), meta("worker", &[]), meta("db", &[]));
        let (one, three, five) = (shape(1, &[]), shape(3, &[]), shape(5, &[]));
        let workload = |kind, meta, shape| Workload { kind, meta, shape: Some(shape), progress: None };
        let fleet = [
            workload("Deployment", &web, &one),
            workload("Deployment", &worker, &three),
            workload("StatefulSet", &db, &five),
        ];
        assert_eq!(main_index(&fleet, None), Some(1), "the largest Deployment");
        assert_eq!(main_index(&fleet, Some("web")), Some(0), "the one the rule names");
        assert_eq!(main_index(&fleet[2..], None), Some(0), "a StatefulSet when there is no Deployment");
        let with_app = [workload("Deployment", &worker, &three), workload("Deployment", &app, &one)];
        assert_eq!(main_index(&with_app, Some("worker")), Some(1), "Tenantry's app first");
        assert_eq!(main_index(&[], None), None);
    }

    #[test]
    fn a_pod_belongs_to_its_deployment_through_the_replicaset_or_to_its_statefulset() {
        let pod = |owner_kind: &str, owner: &str, hash: Option<&str>| -> TenantPod {
            let labels = hash.map(|hash| serde_json::json!({"pod-template-hash": hash}));
            serde_json::from_value(serde_json::json!({"metadata": {
                "name": "p", "namespace": "acme", "labels": labels,
                "ownerReferences": [{"kind": owner_kind, "name": owner, "controller": true}]
            }}))
            .expect("decodes")
        };
        assert_eq!(
            controller_of(&pod("ReplicaSet", "web-api-5d9f8c7b6", Some("5d9f8c7b6"))),
            Some(("Deployment", "web-api"))
        );
        assert_eq!(controller_of(&pod("ReplicaSet", "web-5d9f8c7b6", None)), Some(("Deployment", "web")));
        assert_eq!(controller_of(&pod("StatefulSet", "db", None)), Some(("StatefulSet", "db")));
        assert_eq!(controller_of(&pod("Job", "backup-1", None)), None);
    }

    #[test]
    fn ready_pods_are_counted_from_the_pods_not_the_controllers_echo() {
        let pod = |ready: bool, deleted: bool| -> TenantPod {
            let deletion = deleted.then_some("2026-11-01T10:05:00Z");
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": "p", "namespace": "shop", "deletionTimestamp": deletion},
                "status": {"conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]}
            }))
            .expect("decodes")
        };
        let web = meta("web", &[]);
        let two = shape(2, &[]);
        let echoed: WorkloadProgress = serde_json::from_value(
            serde_json::json!({"readyReplicas": 2, "updatedReplicas": 2, "observedGeneration": 1}),
        )
        .expect("decodes");
        let deployment = Workload { kind: "Deployment", meta: &web, shape: Some(&two), progress: Some(&echoed) };
        let (ready, unready, leaving) = (pod(true, false), pod(false, false), pod(true, true));
        let facts = deployment.facts(&[&ready, &unready, &leaving]);
        assert_eq!((facts.ready, facts.desired, facts.updated, facts.pods.len()), (1, 2, 2, 3));
        assert_eq!(deployment.facts(&[]).ready, 0, "no pods, none ready, whatever the status still says");
    }

    #[test]
    fn the_manager_is_tenantry_gitops_helm_or_nobody() {
        let mut helm = meta("web", &[(HELM_CHART_LABEL, "wordpress-15.2.3"), (MANAGED_BY.0, "Helm")]);
        assert_eq!(manager(&helm), "Helm chart wordpress-15.2.3");
        helm.labels = BTreeMap::from([(MANAGED_BY.0.to_owned(), "Helm".to_owned())]).into();
        helm.annotations = BTreeMap::from([(HELM_RELEASE_ANNOTATION.to_owned(), "shop".to_owned())]).into();
        assert_eq!(manager(&helm), "Helm release shop");
        assert_eq!(manager(&meta("app", &[(MANAGED_BY.0, MANAGED_BY.1)])), "Tenantry");
        assert_eq!(manager(&meta("web", &[("kustomize.toolkit.fluxcd.io/name", "apps")])), "Flux Kustomization apps");
        assert_eq!(manager(&meta("web", &[])), "unmanaged");
    }

    #[test]
    fn images_show_without_their_registry() {
        assert_eq!(short_image("registry.example.com:5000/shop/web:3.1"), "web:3.1");
        assert_eq!(image_tag("localhost:5000/web"), None);
        assert_eq!(chart_version("no-version"), None);
    }
}
