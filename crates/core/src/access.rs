//! Permission checks before an action: one SelfSubjectAccessReview per verb and resource the
//! action needs, asked concurrently, so a refusal names exactly what is missing. A permission
//! granted cluster-wide holds in every namespace, so that answer is asked first and remembered.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};

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
    /// The resource, plural, e.g. `deployments`, with its subresource after a slash (`pods/log`).
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

/// Access reviews over one client, remembering what is granted cluster-wide.
pub struct Reviews {
    client: kube::Client,
    cluster_wide: Mutex<HashMap<Permission, bool>>,
    /// Held while cluster-wide answers are asked, so that concurrent callers (a batch's first
    /// actions) wait for one another's answers instead of asking the same questions again.
    asking: tokio::sync::Mutex<()>,
}

impl Reviews {
    /// Reviews asked through `client`.
    pub fn new(client: kube::Client) -> Self {
        Self { client, cluster_wide: Mutex::new(HashMap::new()), asking: tokio::sync::Mutex::new(()) }
    }

    /// The permissions of `wanted` the cluster denies to the current identity, in order. A
    /// namespaced permission is first asked cluster-wide (answers are remembered); only when
    /// that is denied is it asked for its namespace.
    pub async fn missing(&self, wanted: &[Permission]) -> Result<Vec<Permission>, kube::Error> {
        let mut wanted = wanted.to_vec();
        wanted.sort();
        wanted.dedup();
        let wide: Vec<Permission> = wanted.iter().map(|p| Permission { namespace: None, ..p.clone() }).collect();
        let asking = self.asking.lock().await;
        let unknown: Vec<Permission> = {
            let known = self.cluster_wide.lock().unwrap_or_else(PoisonError::into_inner);
            let mut unknown: Vec<Permission> = wide.iter().filter(|p| !known.contains_key(*p)).cloned().collect();
            unknown.dedup();
            unknown
        };
        let answers = self.allowed(&unknown).await?;
        let to_ask: Vec<Permission> = {
            let mut known = self.cluster_wide.lock().unwrap_or_else(PoisonError::into_inner);
            known.extend(unknown.into_iter().zip(answers));
            drop(asking);
            wanted
                .iter()
                .zip(&wide)
                .filter(|(_, wide)| !known.get(*wide).copied().unwrap_or(false))
                .map(|(p, _)| p.clone())
                .collect()
        };
        let namespaced: Vec<Permission> = to_ask.iter().filter(|p| p.namespace.is_some()).cloned().collect();
        let answers = self.allowed(&namespaced).await?;
        let mut missing: Vec<Permission> = to_ask.into_iter().filter(|p| p.namespace.is_none()).collect();
        missing.extend(namespaced.into_iter().zip(answers).filter(|(_, allowed)| !allowed).map(|(p, _)| p));
        missing.sort();
        Ok(missing)
    }

    /// Asks one review per permission, concurrently.
    async fn allowed(&self, permissions: &[Permission]) -> Result<Vec<bool>, kube::Error> {
        let reviews: Api<SelfSubjectAccessReview> = Api::all(self.client.clone());
        futures::future::try_join_all(permissions.iter().map(|permission| {
            let (resource, subresource) = match permission.resource.split_once('/') {
                Some((resource, subresource)) => (resource.to_owned(), Some(subresource.to_owned())),
                None => (permission.resource.clone(), None),
            };
            let review = SelfSubjectAccessReview {
                spec: SelfSubjectAccessReviewSpec {
                    resource_attributes: Some(ResourceAttributes {
                        verb: Some(permission.verb.to_owned()),
                        group: Some(permission.group.clone()),
                        resource: Some(resource),
                        subresource,
                        namespace: permission.namespace.clone(),
                        ..ResourceAttributes::default()
                    }),
                    ..SelfSubjectAccessReviewSpec::default()
                },
                ..SelfSubjectAccessReview::default()
            };
            let reviews = reviews.clone();
            async move {
                let answer = reviews.create(&PostParams::default(), &review).await?;
                Ok::<bool, kube::Error>(answer.status.is_some_and(|s| s.allowed))
            }
        }))
        .await
    }
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
