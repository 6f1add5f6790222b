//! Turns what the cluster reports about a tenant into one health and its reason, from every
//! workload it runs. Pure: the inventory feeds it facts distilled from the watched objects.

use tenantry_model::{Health, TenantSpec};

/// What the spec says about a tenant's health.
#[derive(Debug, Clone, Copy)]
pub enum Declared<'a> {
    /// Tenantry's spec, read.
    Spec(&'a TenantSpec),
    /// No spec: a tenant made by other tools.
    Nothing,
    /// A spec annotation that cannot be read.
    Unreadable,
}

/// What one workload (Deployment or StatefulSet) reports, with its pods.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkloadFacts {
    /// Its name, which a reason names when the tenant runs several.
    pub name: String,
    /// Pods it asks for.
    pub desired: i32,
    /// Pods ready.
    pub ready: i32,
    /// Pods on the current template.
    pub updated: i32,
    /// Whether the controller has seen the latest change (observedGeneration ≥ generation).
    pub observed: bool,
    /// Its pods.
    pub pods: Vec<PodFacts>,
}

/// What one of the tenant's pods reports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PodFacts {
    /// Ready condition is true.
    pub ready: bool,
    /// Container restarts.
    pub restarts: i32,
    /// Not running yet (phase Pending).
    pub pending: bool,
    /// The scheduler found no node for it.
    pub unschedulable: bool,
    /// Why a container waits, e.g. `CrashLoopBackOff`.
    pub waiting: Option<String>,
}

/// The health of a tenant and a short reason, from its spec, its workloads (`main` is the index
/// of the one that serves the site, if known) and the CronJobs whose last run failed.
pub fn health(
    declared: Declared<'_>,
    workloads: &[WorkloadFacts],
    main: Option<usize>,
    failed_schedules: &[String],
) -> (Health, String) {
    let spec = match declared {
        Declared::Unreadable => {
            return (Health::Unknown, "the tenantry.io/spec annotation is unreadable".into());
        }
        Declared::Spec(spec) => Some(spec),
        Declared::Nothing => None,
    };
    let suspended = spec.is_some_and(|s| s.suspended);
    // A spec recorded without a blueprint (an adopted tenant) sizes workloads it did not make.
    let recorded = spec.filter(|s| s.blueprint.is_empty());
    if workloads.is_empty() {
        return match spec {
            _ if suspended => (Health::Suspended, "suspended".into()),
            Some(_) if recorded.is_none() => (Health::Unknown, "no app Deployment".into()),
            _ => (Health::Unknown, "no workload: no Deployment or StatefulSet in the namespace".into()),
        };
    }
    let mut judged: Vec<(usize, Health, String)> = workloads
        .iter()
        .enumerate()
        .filter(|(_, w)| w.desired > 0)
        .map(|(index, w)| {
            let (health, reason) = workload_health(w);
            (index, health, reason)
        })
        .collect();
    if judged.is_empty() {
        return match spec {
            _ if suspended => (Health::Suspended, "suspended on purpose".into()),
            _ if recorded.is_some_and(|s| s.workloads.values().all(|size| *size == 0)) => {
                (Health::Suspended, "all workloads scaled to zero".into())
            }
            Some(_) => (Health::Down, "scaled to zero but not suspended".into()),
            None => (Health::Suspended, "all workloads scaled to zero".into()),
        };
    }
    // Worst first; the main workload first among equals, then by name.
    judged.sort_by_key(|(index, health, _)| {
        (std::cmp::Reverse(*health), Some(*index) != main, workloads[*index].name.clone())
    });
    let several = workloads.len() > 1;
    let named = |index: usize, reason: &str| {
        if several { format!("{}: {reason}", workloads[index].name) } else { reason.to_owned() }
    };
    let (worst, worst_health, worst_reason) = &judged[0];
    let others_bad = judged.iter().skip(1).filter(|(_, h, _)| *h != Health::Healthy).count();
    let more = if others_bad > 0 { format!(" (and {others_bad} more)") } else { String::new() };
    let main_down = main.is_some_and(|m| judged.iter().any(|(i, h, _)| *i == m && *h == Health::Down));
    let overall = match worst_health {
        Health::Down if main_down || judged.iter().all(|(_, h, _)| *h == Health::Down) => Health::Down,
        Health::Down | Health::Degraded => Health::Degraded,
        other => *other,
    };
    if overall == Health::Healthy {
        if let Some(schedule) = failed_schedules.first() {
            return (Health::Degraded, format!("{schedule}: last scheduled run failed"));
        }
        if !several {
            return (Health::Healthy, worst_reason.clone());
        }
        let ready: i32 = judged.iter().map(|(i, _, _)| workloads[*i].ready).sum();
        let desired: i32 = judged.iter().map(|(i, _, _)| workloads[*i].desired).sum();
        return (Health::Healthy, format!("{ready} of {desired} pods ready in {} workloads", judged.len()));
    }
    (overall, format!("{}{more}", named(*worst, worst_reason)))
}

/// One running workload's health and reason (without its name).
fn workload_health(workload: &WorkloadFacts) -> (Health, String) {
    let counted = format!("{} of {} pods ready", workload.ready, workload.desired);
    let problem = pod_problem(&workload.pods);
    let with_problem = |text: String| match &problem {
        Some(problem) => format!("{text}: {problem}"),
        None => text,
    };
    if workload.ready >= workload.desired && workload.updated >= workload.desired && workload.observed {
        (Health::Healthy, counted)
    } else if workload.ready == 0 {
        (Health::Down, with_problem(counted))
    } else if !workload.observed || workload.updated < workload.desired {
        (Health::Progressing, format!("rolling out: {} of {} updated", workload.updated, workload.desired))
    } else {
        (Health::Degraded, with_problem(counted))
    }
}

/// The most telling pod problem, if any.
fn pod_problem(pods: &[PodFacts]) -> Option<String> {
    if pods.iter().any(|p| p.unschedulable) {
        return Some("pods cannot be scheduled".into());
    }
    if let Some(reason) = pods.iter().find_map(|p| p.waiting.as_ref()) {
        return Some(format!("pods waiting ({reason})"));
    }
    pods.iter().any(|p| p.pending).then(|| "pods starting".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(suspended: bool) -> TenantSpec {
        TenantSpec { suspended, replicas: 2, blueprint: "web".into(), ..Default::default() }
    }

    fn workload(name: &str, desired: i32, ready: i32, updated: i32, observed: bool) -> WorkloadFacts {
        WorkloadFacts { name: name.into(), desired, ready, updated, observed, pods: Vec::new() }
    }

    fn app(desired: i32, ready: i32, updated: i32, observed: bool) -> WorkloadFacts {
        workload("app", desired, ready, updated, observed)
    }

    fn with(mut workload: WorkloadFacts, pods: Vec<PodFacts>) -> WorkloadFacts {
        workload.pods = pods;
        workload
    }

    fn pending() -> PodFacts {
        PodFacts { unschedulable: true, ..Default::default() }
    }

    fn starting() -> PodFacts {
        PodFacts { pending: true, ..Default::default() }
    }

    fn crashing() -> PodFacts {
        PodFacts { waiting: Some("CrashLoopBackOff".into()), restarts: 4, ..Default::default() }
    }

    /// Workloads → expected health and a part of the reason.
    type Case = (Vec<WorkloadFacts>, Health, &'static str);

    fn check(declared: Declared<'_>, main: Option<usize>, failed: &[String], cases: Vec<Case>) {
        for (workloads, expected, reason) in cases {
            let (health, why) = health(declared, &workloads, main, failed);
            assert_eq!(health, expected, "{workloads:?}: {why}");
            assert!(why.contains(reason), "{workloads:?}: reason {why:?} lacks {reason:?}");
        }
    }

    #[test]
    fn one_app_deployment_of_a_tenantry_tenant() {
        let running = spec(false);
        check(
            Declared::Spec(&running),
            Some(0),
            &[],
            vec![
                (vec![], Health::Unknown, "no app Deployment"),
                (vec![app(0, 0, 0, true)], Health::Down, "scaled to zero"),
                (vec![app(2, 2, 2, true)], Health::Healthy, "2 of 2 pods ready"),
                (
                    vec![with(app(2, 0, 2, true), vec![pending(), pending()])],
                    Health::Down,
                    "0 of 2 pods ready: pods cannot be scheduled",
                ),
                (vec![with(app(2, 0, 2, true), vec![crashing()])], Health::Down, "CrashLoopBackOff"),
                (vec![with(app(2, 0, 2, true), vec![starting()])], Health::Down, "pods starting"),
                (vec![with(app(2, 0, 2, true), vec![starting(), pending()])], Health::Down, "cannot be scheduled"),
                (vec![app(2, 1, 1, true)], Health::Progressing, "rolling out: 1 of 2 updated"),
                (vec![app(2, 2, 2, false)], Health::Progressing, "rolling out"),
                (vec![with(app(3, 2, 3, true), vec![crashing()])], Health::Degraded, "2 of 3 pods ready: pods waiting"),
            ],
        );
        let suspended = spec(true);
        check(
            Declared::Spec(&suspended),
            Some(0),
            &[],
            vec![
                (vec![], Health::Suspended, "suspended"),
                (vec![app(0, 0, 0, true)], Health::Suspended, "suspended on purpose"),
            ],
        );
        check(Declared::Unreadable, Some(0), &[], vec![(vec![app(2, 2, 2, true)], Health::Unknown, "unreadable")]);
        let adopted_at_zero =
            TenantSpec { workloads: [("Deployment/app".to_owned(), 0)].into(), ..TenantSpec::default() };
        check(
            Declared::Spec(&adopted_at_zero),
            Some(0),
            &[],
            vec![
                (vec![app(0, 0, 0, true)], Health::Suspended, "all workloads scaled to zero"),
                (vec![], Health::Unknown, "no workload"),
            ],
        );
    }

    #[test]
    fn every_workload_counts_and_the_reason_names_the_one_in_trouble() {
        let web = || workload("web", 2, 2, 2, true);
        let stuck_worker = || with(workload("worker", 1, 0, 1, true), vec![pending()]);
        check(
            Declared::Nothing,
            Some(0),
            &[],
            vec![
                (vec![], Health::Unknown, "no workload"),
                (
                    vec![workload("web", 0, 0, 0, true), workload("db", 0, 0, 0, true)],
                    Health::Suspended,
                    "all workloads scaled to zero",
                ),
                (vec![web(), workload("db", 1, 1, 1, true)], Health::Healthy, "3 of 3 pods ready in 2 workloads"),
                (vec![web(), stuck_worker()], Health::Degraded, "worker: 0 of 1 pods ready: pods cannot be scheduled"),
                (
                    vec![with(workload("web", 2, 0, 2, true), vec![crashing()]), workload("api", 1, 1, 1, true)],
                    Health::Down,
                    "web: 0 of 2 pods ready: pods waiting (CrashLoopBackOff)",
                ),
                (vec![web(), stuck_worker(), workload("db", 1, 0, 1, true)], Health::Degraded, "(and 1 more)"),
                (
                    vec![workload("web", 1, 0, 1, true), workload("db", 1, 0, 1, true)],
                    Health::Down,
                    "web: 0 of 1 pods ready (and 1 more)",
                ),
                (vec![web(), workload("db", 3, 1, 1, true)], Health::Progressing, "db: rolling out: 1 of 3 updated"),
                (vec![web(), workload("worker", 0, 0, 0, true)], Health::Healthy, "2 of 2 pods ready"),
            ],
        );
        let failed = vec!["nightly-report".to_owned()];
        check(
            Declared::Nothing,
            Some(0),
            &failed,
            vec![
                (vec![web()], Health::Degraded, "nightly-report: last scheduled run failed"),
                (vec![with(workload("web", 2, 0, 2, true), vec![crashing()])], Health::Down, "CrashLoopBackOff"),
            ],
        );
    }
}
