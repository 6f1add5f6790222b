//! Whether a GitOps controller (Argo CD, Flux) manages an object, from the labels and
//! annotations each writes on what it applies: such a controller reverts changes made elsewhere.

use crate::pairs::Lookup;

/// Argo CD's annotation-based tracking: `<app>:<group>/<kind>:<namespace>/<name>`.
const ARGO_TRACKING_ANNOTATION: &str = "argocd.argoproj.io/tracking-id";
/// Argo CD's label-based tracking (when configured with this label): the application.
const ARGO_INSTANCE_LABEL: &str = "argocd.argoproj.io/instance";
/// Flux's kustomize-controller: the Kustomization that applied the object.
const FLUX_KUSTOMIZATION_LABEL: &str = "kustomize.toolkit.fluxcd.io/name";
/// Flux's helm-controller: the HelmRelease that installed the object.
const FLUX_HELM_RELEASE_LABEL: &str = "helm.toolkit.fluxcd.io/name";

/// The controller that manages the object with `labels` and `annotations`, e.g. "Argo CD
/// application shop-alder".
pub fn controller(labels: &impl Lookup, annotations: &impl Lookup) -> Option<String> {
    let label = |key: &str| labels.value(key).filter(|v| !v.is_empty());
    let annotation = |key: &str| annotations.value(key).filter(|v| !v.is_empty());
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

    type Marks = (BTreeMap<String, String>, BTreeMap<String, String>);

    fn meta(labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> Marks {
        let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
        };
        (map(labels), map(annotations))
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
            (Marks::default(), None),
        ];
        for (meta, expected) in cases {
            assert_eq!(controller(&meta.0, &meta.1).as_deref(), expected, "{meta:?}");
        }
    }
}
