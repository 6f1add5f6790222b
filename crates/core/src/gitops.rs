//! Whether a GitOps controller (Argo CD, Flux) manages an object, from the labels and
//! annotations each writes on what it applies: such a controller reverts changes made elsewhere.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// Argo CD's annotation-based tracking: `<app>:<group>/<kind>:<namespace>/<name>`.
const ARGO_TRACKING_ANNOTATION: &str = "argocd.argoproj.io/tracking-id";
/// Argo CD's label-based tracking (when configured with this label): the application.
const ARGO_INSTANCE_LABEL: &str = "argocd.argoproj.io/instance";
/// Flux's kustomize-controller: the Kustomization that applied the object.
const FLUX_KUSTOMIZATION_LABEL: &str = "kustomize.toolkit.fluxcd.io/name";
/// Flux's helm-controller: the HelmRelease that installed the object.
const FLUX_HELM_RELEASE_LABEL: &str = "helm.toolkit.fluxcd.io/name";

/// The controller that manages the object, e.g. "Argo CD application shop-alder".
pub fn controller(meta: &ObjectMeta) -> Option<String> {
    let label = |key: &str| meta.labels.as_ref().and_then(|l| l.get(key)).filter(|v| !v.is_empty());
    let annotation = |key: &str| meta.annotations.as_ref().and_then(|a| a.get(key)).filter(|v| !v.is_empty());
    if let Some(tracking) = annotation(ARGO_TRACKING_ANNOTATION) {
        let application = tracking.split(':').next().unwrap_or(tracking);
        return Some(format!("Argo CD application {application}"));
    }
    if let Some(application) = label(ARGO_INSTANCE_LABEL) {
        return Some(format!("Argo CD application {application}"));
    }
    if let Some(kustomization) = label(FLUX_KUSTOMIZATION_LABEL) {
        return Some(format!("Flux Kustomization {kustomization}"));
    }
    label(FLUX_HELM_RELEASE_LABEL).map(|release| format!("Flux HelmRelease {release}"))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn meta(labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> ObjectMeta {
        let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
        };
        ObjectMeta { labels: Some(map(labels)), annotations: Some(map(annotations)), ..ObjectMeta::default() }
    }

    #[test]
    fn argo_cd_and_flux_are_told_by_their_marks() {
        let cases = [
            (
                meta(&[], &[(ARGO_TRACKING_ANNOTATION, "shop-alder:apps/Deployment:shop-alder/web")]),
                Some("Argo CD application shop-alder"),
            ),
            (meta(&[(ARGO_INSTANCE_LABEL, "shop-birch")], &[]), Some("Argo CD application shop-birch")),
            (meta(&[(FLUX_KUSTOMIZATION_LABEL, "tenants")], &[]), Some("Flux Kustomization tenants")),
            (meta(&[(FLUX_HELM_RELEASE_LABEL, "shop")], &[]), Some("Flux HelmRelease shop")),
            (meta(&[("app.kubernetes.io/instance", "shop"), (ARGO_INSTANCE_LABEL, "")], &[]), None),
            (ObjectMeta::default(), None),
        ];
        for (meta, expected) in cases {
            assert_eq!(controller(&meta).as_deref(), expected, "{meta:?}");
        }
    }
}
