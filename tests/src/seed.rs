//! Fills a local cluster with tenants following DESIGN.md's tenant model: a labelled and
//! annotated Namespace, the spec history ConfigMap, a Deployment with pods, a Service, an
//! Ingress for the tenant's domain, a backup CronJob and, for every third tenant, a backup Job
//! that has run (KWOK completes its pod). Some tenants are deliberately broken
//! (pods that can never be scheduled) or suspended, so that every health state appears.

use futures::{StreamExt as _, TryStreamExt as _};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Service};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::Api;
use serde_json::{Value, json};

use crate::apply::apply;
use crate::{Error, Result};

/// Field manager of seeded objects: Tenantry's own, as if Tenantry had created them.
const MANAGER: &str = "tenantry";
/// Requests in flight at once while seeding.
const CONCURRENCY: usize = 16;

const FIRST: [&str; 20] = [
    "alder", "birch", "cedar", "dune", "ember", "fjord", "glade", "harbor", "iris", "juniper", "kestrel", "lumen",
    "maple", "nimbus", "orchid", "pine", "quartz", "raven", "sable", "tundra",
];
const SECOND: [&str; 10] =
    ["books", "bakery", "cycles", "dental", "fitness", "garden", "law", "learning", "outfitters", "studio"];
const VERSIONS: [&str; 3] = ["6.4.2", "6.5.0", "6.5.1"];
const PLANS: [&str; 3] = ["small", "medium", "large"];
/// The id of the backup every third tenant has.
const BACKUP_ID: &str = "seed-1";

/// How a seeded tenant is meant to look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// All pods run and are ready.
    Healthy,
    /// Its pods can never be scheduled (a node selector no node matches).
    Unschedulable,
    /// Scaled to zero on purpose; the spec says suspended.
    Suspended,
}

/// One seeded tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededTenant {
    /// Tenant id and namespace name.
    pub id: String,
    /// The customer's display name.
    pub customer: String,
    /// The tenant's domain.
    pub domain: String,
    /// App version (image tag).
    pub version: String,
    /// Pods the Deployment asks for.
    pub replicas: i32,
    /// How it is meant to look.
    pub condition: Condition,
    /// The id of its completed backup, if it has one.
    pub backup: Option<String>,
}

/// The `index`-th tenant of a cluster: deterministic, so tests can predict the inventory.
/// Every 5th tenant is unschedulable, every 11th suspended, every 3rd has a backup.
pub fn tenant(index: usize, replicas: i32) -> SeededTenant {
    let first = FIRST[index % FIRST.len()];
    let second = SECOND[(index / FIRST.len()) % SECOND.len()];
    let round = index / (FIRST.len() * SECOND.len());
    let id = if round == 0 { format!("{first}-{second}") } else { format!("{first}-{second}-{}", round + 1) };
    let capital = |word: &str| word[..1].to_uppercase() + &word[1..];
    let condition = match index {
        i if i % 11 == 10 => Condition::Suspended,
        i if i % 5 == 4 => Condition::Unschedulable,
        _ => Condition::Healthy,
    };
    SeededTenant {
        customer: format!("{} {}", capital(first), capital(second)),
        domain: format!("{id}.example.com"),
        version: VERSIONS[index % VERSIONS.len()].to_owned(),
        replicas: if condition == Condition::Suspended { 0 } else { replicas },
        condition,
        id,
        backup: index.is_multiple_of(3).then(|| BACKUP_ID.to_owned()),
    }
}

/// Seeds tenants `0..count` into the cluster of `client`, each Deployment asking for
/// `replicas` pods; idempotent (server-side apply). Returns the tenants.
pub async fn seed(client: &kube::Client, count: usize, replicas: i32) -> Result<Vec<SeededTenant>> {
    let tenants: Vec<SeededTenant> = (0..count).map(|i| tenant(i, replicas)).collect();
    futures::stream::iter(tenants.iter().enumerate().map(|(i, t)| apply_tenant(client, i, t)))
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(tenants)
}

/// Pods of each namespace [`outside`] seeds.
const OUTSIDE_PODS_EACH: usize = 20;

/// Seeds `pods` pods outside every tenant into the cluster of `client`, as a real cluster has
/// them (monitoring, ingress, the platform's own services): namespaces `infra-N`, without any
/// Tenantry label, each with a Deployment of up to 20 pods; idempotent. Returns the namespaces.
pub async fn outside(client: &kube::Client, pods: usize) -> Result<usize> {
    let namespaces = pods.div_ceil(OUTSIDE_PODS_EACH);
    let applies = (0..namespaces).map(|i| {
        let replicas = OUTSIDE_PODS_EACH.min(pods - i * OUTSIDE_PODS_EACH);
        apply_outside(client, format!("infra-{i}"), replicas)
    });
    futures::stream::iter(applies).buffer_unordered(CONCURRENCY).try_collect::<Vec<()>>().await?;
    Ok(namespaces)
}

async fn apply_outside(client: &kube::Client, namespace: String, replicas: usize) -> Result<()> {
    let labels = json!({"app": "agent"});
    apply(
        Api::<Namespace>::all(client.clone()),
        MANAGER,
        &namespace,
        json!({
            "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": {"team": "platform"}},
        }),
    )
    .await?;
    apply(
        Api::<Deployment>::namespaced(client.clone(), &namespace),
        MANAGER,
        "agent",
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "agent", "namespace": namespace, "labels": labels},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {
                    "containers": [{"name": "agent", "image": "registry.example.com/agent:1.0",
                                    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}],
                    "tolerations": [{"key": "kwok.x-k8s.io/node", "operator": "Exists", "effect": "NoSchedule"}],
                }},
            },
        }),
    )
    .await
}

fn spec(index: usize, tenant: &SeededTenant, replicas: i32) -> Value {
    json!({
        "displayName": format!("{} site", tenant.customer),
        "customer": tenant.customer,
        "domains": [tenant.domain],
        "blueprint": "web",
        "version": tenant.version,
        "plan": PLANS[index % PLANS.len()],
        "replicas": replicas,
        "config": {"SITE_NAME": tenant.customer},
        "backup": {"schedule": "0 3 * * *", "retention": 7},
        "suspended": tenant.condition == Condition::Suspended,
    })
}

async fn apply_tenant(client: &kube::Client, index: usize, tenant: &SeededTenant) -> Result<()> {
    let id = tenant.id.as_str();
    let labels = json!({"app.kubernetes.io/managed-by": "tenantry", "tenantry.io/tenant": id});
    let app_labels =
        json!({"app.kubernetes.io/managed-by": "tenantry", "tenantry.io/tenant": id, "app.kubernetes.io/name": "app"});
    let desired = if tenant.condition == Condition::Suspended { 2 } else { tenant.replicas };
    let spec = spec(index, tenant, desired);
    let spec_text = serde_json::to_string(&spec)
        .map_err(|e| Error::Encoding { what: "a tenant spec".into(), source: Box::new(e) })?;
    let meta = |name: &str| json!({"name": name, "namespace": id, "labels": labels});
    let app_meta = json!({"name": "app", "namespace": id, "labels": app_labels});

    apply(Api::<Namespace>::all(client.clone()), MANAGER, id, json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": id, "labels": labels, "annotations": {"tenantry.io/spec": spec_text, "tenantry.io/revision": "1"}},
    }))
    .await?;
    apply(
        Api::<ConfigMap>::namespaced(client.clone(), id),
        MANAGER,
        "tenantry-history",
        json!({
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("tenantry-history"), "data": {"1": spec_text},
        }),
    )
    .await?;
    let mut pod_spec = json!({
        "containers": [{
            "name": "app",
            "image": format!("registry.example.com/web:{}", tenant.version),
            "ports": [{"containerPort": 8080}],
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
        }],
        "tolerations": [{"key": "kwok.x-k8s.io/node", "operator": "Exists", "effect": "NoSchedule"}],
    });
    if tenant.condition == Condition::Unschedulable {
        pod_spec["nodeSelector"] = json!({"tenantry.io/pool": "retired"});
    }
    apply(
        Api::<Deployment>::namespaced(client.clone(), id),
        MANAGER,
        "app",
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": app_meta,
            "spec": {
                "replicas": tenant.replicas,
                "selector": {"matchLabels": {"tenantry.io/tenant": id, "app.kubernetes.io/name": "app"}},
                "template": {"metadata": {"labels": app_labels}, "spec": pod_spec},
            },
        }),
    )
    .await?;
    apply(Api::<Service>::namespaced(client.clone(), id), MANAGER, "app", json!({
        "apiVersion": "v1", "kind": "Service", "metadata": meta("app"),
        "spec": {"selector": {"tenantry.io/tenant": id, "app.kubernetes.io/name": "app"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }))
    .await?;
    apply(
        Api::<Ingress>::namespaced(client.clone(), id),
        MANAGER,
        "app",
        json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta("app"),
            "spec": {"rules": [{"host": tenant.domain, "http": {"paths": [{"path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "app", "port": {"number": 80}}}}]}}]},
        }),
    )
    .await?;
    apply(Api::<CronJob>::namespaced(client.clone(), id), MANAGER, "backup", json!({
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta("backup"),
        "spec": {
            "schedule": "0 3 * * *",
            "suspend": tenant.condition == Condition::Suspended,
            "jobTemplate": {"spec": {"template": {"metadata": {"labels": labels}, "spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "backup", "image": format!("registry.example.com/web-backup:{}", tenant.version)}],
            }}}},
        },
    }))
    .await?;
    let Some(backup) = &tenant.backup else { return Ok(()) };
    let backup_labels =
        json!({"app.kubernetes.io/managed-by": "tenantry", "tenantry.io/tenant": id, "tenantry.io/backup": backup});
    apply(Api::<Job>::namespaced(client.clone(), id), MANAGER, &format!("backup-{backup}"), json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": format!("backup-{backup}"), "namespace": id, "labels": backup_labels},
        "spec": {"template": {"metadata": {"labels": labels}, "spec": {
            "restartPolicy": "Never",
            "tolerations": [{"key": "kwok.x-k8s.io/node", "operator": "Exists", "effect": "NoSchedule"}],
            "containers": [{"name": "backup", "image": format!("registry.example.com/web-backup:{}", tenant.version)}],
        }}},
    }))
    .await
}
