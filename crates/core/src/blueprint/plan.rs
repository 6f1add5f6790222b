//! Plans: the named sizes a tenant is sold in (CPU, memory, storage, pods).

use serde::Serialize;

/// One plan's sizes, as the blueprint templates read them (`plan.pod_cpu`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Its name, e.g. `small`.
    pub name: &'static str,
    /// CPU request and limit of each app container.
    pub pod_cpu: &'static str,
    /// Memory request and limit of each app container.
    pub pod_memory: &'static str,
    /// CPU the whole namespace may request.
    pub quota_cpu: &'static str,
    /// Memory the whole namespace may request.
    pub quota_memory: &'static str,
    /// Size of the media volume (and the namespace's storage quota).
    pub storage: &'static str,
    /// Pods the namespace may run (app pods, backup and restore Jobs).
    pub max_pods: u32,
    /// Most app replicas the plan allows.
    pub max_replicas: i32,
}

/// The plans Tenantry knows, smallest first.
pub const PLANS: [Plan; 3] = [
    Plan {
        name: "small",
        pod_cpu: "250m",
        pod_memory: "256Mi",
        quota_cpu: "2",
        quota_memory: "2Gi",
        storage: "5Gi",
        max_pods: 8,
        max_replicas: 4,
    },
    Plan {
        name: "medium",
        pod_cpu: "500m",
        pod_memory: "512Mi",
        quota_cpu: "6",
        quota_memory: "6Gi",
        storage: "20Gi",
        max_pods: 16,
        max_replicas: 10,
    },
    Plan {
        name: "large",
        pod_cpu: "1",
        pod_memory: "1Gi",
        quota_cpu: "24",
        quota_memory: "24Gi",
        storage: "100Gi",
        max_pods: 32,
        max_replicas: 20,
    },
];

/// The plan named `name`.
pub fn plan(name: &str) -> Option<&'static Plan> {
    PLANS.iter().find(|plan| plan.name == name)
}

/// The names of every plan, for messages.
pub fn plan_names() -> Vec<&'static str> {
    PLANS.iter().map(|plan| plan.name).collect()
}
