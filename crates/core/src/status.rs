//! Turns what the cluster reports about a tenant into one health and its reason. Pure: the
//! inventory feeds it facts distilled from the watched objects.

use tenantry_model::{Health, TenantSpec};

/// What the tenant's app Deployment reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AppFacts {
    /// Pods the Deployment asks for.
    pub desired: i32,
    /// Pods ready.
    pub ready: i32,
    /// Pods on the current template.
    pub updated: i32,
    /// Whether the controller has seen the latest change (observedGeneration ≥ generation).
    pub observed: bool,
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

/// The health of a tenant and a short reason, from its spec, its app and its pods.
pub fn health(spec: Option<&TenantSpec>, app: Option<&AppFacts>, pods: &[PodFacts]) -> (Health, String) {
    let Some(spec) = spec else {
        return (Health::Unknown, "the tenantry.io/spec annotation is missing or unreadable".into());
    };
    let Some(app) = app else {
        return if spec.suspended {
            (Health::Suspended, "suspended".into())
        } else {
            (Health::Unknown, "no app Deployment".into())
        };
    };
    let counted = format!("{} of {} pods ready", app.ready, app.desired);
    if app.desired == 0 {
        return if spec.suspended {
            (Health::Suspended, "suspended on purpose".into())
        } else {
            (Health::Down, "scaled to zero but not suspended".into())
        };
    }
    let problem = pod_problem(pods);
    let with_problem = |text: String| match &problem {
        Some(problem) => format!("{text}: {problem}"),
        None => text,
    };
    if app.ready >= app.desired && app.updated >= app.desired && app.observed {
        (Health::Healthy, counted)
    } else if app.ready == 0 {
        (Health::Down, with_problem(counted))
    } else if !app.observed || app.updated < app.desired {
        (Health::Progressing, format!("rolling out: {} of {} updated", app.updated, app.desired))
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
        TenantSpec { suspended, replicas: 2, ..Default::default() }
    }

    fn app(desired: i32, ready: i32, updated: i32, observed: bool) -> AppFacts {
        AppFacts { desired, ready, updated, observed }
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

    /// Spec, app, pods → expected health and a word of the reason.
    type Case = (Option<TenantSpec>, Option<AppFacts>, Vec<PodFacts>, Health, &'static str);

    #[test]
    fn health_rules() {
        let cases: Vec<Case> = vec![
            (None, Some(app(2, 2, 2, true)), vec![], Health::Unknown, "annotation is missing"),
            (Some(spec(false)), None, vec![], Health::Unknown, "no app Deployment"),
            (Some(spec(true)), None, vec![], Health::Suspended, "suspended"),
            (Some(spec(true)), Some(app(0, 0, 0, true)), vec![], Health::Suspended, "suspended on purpose"),
            (Some(spec(false)), Some(app(0, 0, 0, true)), vec![], Health::Down, "scaled to zero"),
            (Some(spec(false)), Some(app(2, 2, 2, true)), vec![], Health::Healthy, "2 of 2 pods ready"),
            (
                Some(spec(false)),
                Some(app(2, 0, 2, true)),
                vec![pending(), pending()],
                Health::Down,
                "cannot be scheduled",
            ),
            (Some(spec(false)), Some(app(2, 0, 2, true)), vec![crashing()], Health::Down, "CrashLoopBackOff"),
            (Some(spec(false)), Some(app(2, 0, 2, true)), vec![starting()], Health::Down, "pods starting"),
            (
                Some(spec(false)),
                Some(app(2, 0, 2, true)),
                vec![starting(), pending()],
                Health::Down,
                "cannot be scheduled",
            ),
            (Some(spec(false)), Some(app(2, 1, 1, true)), vec![], Health::Progressing, "1 of 2 updated"),
            (Some(spec(false)), Some(app(2, 2, 2, false)), vec![], Health::Progressing, "rolling out"),
            (
                Some(spec(false)),
                Some(app(3, 2, 3, true)),
                vec![crashing()],
                Health::Degraded,
                "2 of 3 pods ready: pods waiting",
            ),
        ];
        for (spec, app, pods, expected, reason) in cases {
            let (health, why) = health(spec.as_ref(), app.as_ref(), &pods);
            assert_eq!(health, expected, "{app:?} {pods:?}: {why}");
            assert!(why.contains(reason), "{app:?}: reason {why:?} lacks {reason:?}");
        }
    }
}
