//! Permission checks before an action: one SelfSubjectAccessReview per verb and resource the
//! action needs, asked concurrently, so a refusal names exactly what is missing.

use std::fmt;

use k8s_openapi::api::authorization::v1::{ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec};
use kube::Api;
use kube::api::PostParams;

/// One thing an action must be allowed to do.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Permission {
    /// The verb, e.g. `patch`.
    pub verb: &'static str,
    /// The API group (`""` for the core group).
    pub group: String,
    /// The resource, plural, e.g. `deployments`.
    pub resource: String,
    /// The namespace, for namespaced resources.
    pub namespace: Option<String>,
}

impl Permission {
    /// `verb` on `resource` of `group` in `namespace`.
    pub fn new(verb: &'static str, group: &str, resource: &str, namespace: Option<&str>) -> Self {
        Self { verb, group: group.to_owned(), resource: resource.to_owned(), namespace: namespace.map(str::to_owned) }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.verb, self.resource)?;
        if !self.group.is_empty() {
            write!(f, ".{}", self.group)?;
        }
        match &self.namespace {
            Some(namespace) => write!(f, " in namespace {namespace}"),
            None => Ok(()),
        }
    }
}

/// The permissions of `wanted` the cluster denies to the current identity, in order.
pub async fn missing(client: &kube::Client, wanted: &[Permission]) -> Result<Vec<Permission>, kube::Error> {
    let reviews: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let mut wanted = wanted.to_vec();
    wanted.sort();
    wanted.dedup();
    let answers = futures::future::try_join_all(wanted.iter().map(|permission| {
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    verb: Some(permission.verb.to_owned()),
                    group: Some(permission.group.clone()),
                    resource: Some(permission.resource.clone()),
                    namespace: permission.namespace.clone(),
                    ..ResourceAttributes::default()
                }),
                ..SelfSubjectAccessReviewSpec::default()
            },
            ..SelfSubjectAccessReview::default()
        };
        let reviews = reviews.clone();
        async move { reviews.create(&PostParams::default(), &review).await }
    }))
    .await?;
    Ok(wanted
        .into_iter()
        .zip(answers)
        .filter(|(_, answer)| !answer.status.as_ref().is_some_and(|s| s.allowed))
        .map(|(permission, _)| permission)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_read_like_rbac_rules() {
        assert_eq!(Permission::new("delete", "", "namespaces", None).to_string(), "delete namespaces");
        assert_eq!(
            Permission::new("patch", "apps", "deployments", Some("alder")).to_string(),
            "patch deployments.apps in namespace alder"
        );
    }
}
