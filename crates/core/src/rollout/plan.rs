//! Planning a rollout: the chosen rows frozen into an explicit list, each with its own change
//! (a relative scale becomes each tenant's own size), the tenants left out with the reason, and
//! the waves: a canary spread over the clusters, then waves of a fixed size.

use std::collections::{BTreeMap, HashSet};

use tenantry_model::{Change, FleetChange, RolloutSettings, RolloutTenant, TenantState, TenantSummary};

/// The change for `row`, what it shows before and after, or why `row` is left out.
fn for_row(change: &FleetChange, row: &TenantSummary) -> Result<(Change, String, String), String> {
    let pods = |n: i32| format!("{n} pods");
    match change {
        FleetChange::Update { version, plan, config, parameters } => {
            let same_version = version.as_ref().is_none_or(|v| *v == row.version);
            let same_plan = plan.as_ref().is_none_or(|p| *p == row.plan);
            // Config keys and parameters are not in the summary: the tenant's own action
            // finds out whether they change anything.
            if same_version && same_plan && config.is_empty() && parameters.is_empty() {
                return Err("already there".to_owned());
            }
            let show = |v: &str, p: &str| format!("{v} / {p}");
            let after = show(version.as_deref().unwrap_or(&row.version), plan.as_deref().unwrap_or(&row.plan));
            let change = Change::Update {
                version: version.clone(),
                plan: plan.clone(),
                domains: None,
                config: None,
                config_keys: config.clone(),
                parameters: parameters.clone(),
            };
            Ok((change, show(&row.version, &row.plan), after))
        }
        FleetChange::ScaleTo { replicas: n } | FleetChange::ScaleBy { delta: n } => {
            let to =
                if matches!(change, FleetChange::ScaleTo { .. }) { *n } else { row.desired.saturating_add(*n).max(0) };
            if to == row.desired {
                return Err("already there".to_owned());
            }
            let change = Change::Scale { replicas: Some(to), autoscaling: None, workload: None };
            Ok((change, pods(row.desired), pods(to)))
        }
        FleetChange::Restart => Ok((Change::Restart { workload: None }, pods(row.desired), pods(row.desired))),
        FleetChange::Suspend if row.health == tenantry_model::Health::Suspended => Err("already suspended".to_owned()),
        FleetChange::Suspend => Ok((Change::Suspend, pods(row.desired), pods(0))),
        FleetChange::Resume if row.health != tenantry_model::Health::Suspended => Err("not suspended".to_owned()),
        FleetChange::Resume => Ok((Change::Resume, pods(0), "its remembered size".to_owned())),
        FleetChange::Backup { backup } => {
            Ok((Change::Backup { backup: backup.clone() }, String::new(), format!("backup {backup}")))
        }
    }
}

/// The tenants of a rollout of `change` over `rows` (in the order given): each queued with its
/// frozen change and wave, or skipped with the reason — not live, managed by a GitOps controller
/// (it would revert the change), an unfinished action (`unfinished`: context and tenant), or
/// already there.
pub fn tenants(
    change: &FleetChange,
    rows: &[TenantSummary],
    unfinished: &HashSet<(String, String)>,
    settings: &RolloutSettings,
) -> Vec<RolloutTenant> {
    let mut tenants: Vec<RolloutTenant> = rows
        .iter()
        .map(|row| {
            let skipped = |message: String| RolloutTenant {
                context: row.cluster.clone(),
                tenant: row.id.clone(),
                wave: 0,
                change: Change::Restart { workload: None },
                revision_before: row.revision,
                before: String::new(),
                after: String::new(),
                state: TenantState::Skipped,
                message,
                started: None,
                finished: None,
            };
            if !row.freshness.is_live() {
                return skipped("not live: its cluster does not answer now".to_owned());
            }
            if let Some(controller) = &row.gitops {
                return skipped(format!("managed by {controller}, which would revert the change"));
            }
            if unfinished.contains(&(row.cluster.clone(), row.id.clone())) {
                return skipped("an unfinished action: resume or roll it back first".to_owned());
            }
            match for_row(change, row) {
                Ok((change, before, after)) => RolloutTenant {
                    change,
                    before,
                    after,
                    state: TenantState::Queued,
                    message: String::new(),
                    ..skipped(String::new())
                },
                Err(why) => skipped(why),
            }
        })
        .collect();
    assign_waves(&mut tenants, settings);
    tenants
}

/// Puts the queued tenants into waves: the canary takes `settings.canary` of them, one cluster
/// after the other; the rest follow in waves of `settings.wave_size`, in order. Skipped tenants
/// stay in wave 0.
fn assign_waves(tenants: &mut [RolloutTenant], settings: &RolloutSettings) {
    let mut by_cluster: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, tenant) in tenants.iter().enumerate().filter(|(_, t)| t.state == TenantState::Queued) {
        by_cluster.entry(tenant.context.as_str()).or_default().push(index);
    }
    let mut canary = Vec::new();
    let mut round = 0;
    while canary.len() < settings.canary && by_cluster.values().any(|c| c.len() > round) {
        for indexes in by_cluster.values() {
            if let Some(index) = indexes.get(round)
                && canary.len() < settings.canary
            {
                canary.push(*index);
            }
        }
        round += 1;
    }
    let canary: HashSet<usize> = canary.into_iter().collect();
    let wave_size = settings.wave_size.max(1);
    let mut placed = 0;
    let first = usize::from(!canary.is_empty());
    for (index, tenant) in tenants.iter_mut().enumerate() {
        if tenant.state != TenantState::Queued {
            continue;
        }
        if canary.contains(&index) {
            tenant.wave = 0;
        } else {
            tenant.wave = first + placed / wave_size;
            placed += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use tenantry_model::{Freshness, Health};

    use super::*;

    fn row(cluster: &str, id: &str, version: &str, desired: i32) -> TenantSummary {
        TenantSummary {
            cluster: cluster.into(),
            id: id.into(),
            version: version.into(),
            plan: "small".into(),
            desired,
            health: Health::Healthy,
            freshness: Freshness::Live,
            ..TenantSummary::default()
        }
    }

    #[test]
    fn the_canary_spreads_over_clusters_and_the_rest_follow_in_waves() {
        let rows: Vec<TenantSummary> =
            (0..7).map(|i| row(if i < 4 { "eu" } else { "us" }, &format!("t{i}"), "2.3", 1)).collect();
        let settings = RolloutSettings { canary: 2, wave_size: 3, ..RolloutSettings::default() };
        let update = FleetChange::version("2.4");
        let planned = tenants(&update, &rows, &HashSet::new(), &settings);
        let waves: Vec<(&str, usize)> = planned.iter().map(|t| (t.tenant.as_str(), t.wave)).collect();
        assert_eq!(waves, [("t0", 0), ("t1", 1), ("t2", 1), ("t3", 1), ("t4", 0), ("t5", 2), ("t6", 2)]);
        assert_eq!((planned[0].before.as_str(), planned[0].after.as_str()), ("2.3 / small", "2.4 / small"));
    }

    #[test]
    fn tenants_that_cannot_or_need_not_change_are_skipped_with_the_reason() {
        let mut stale = row("eu", "stale", "2.3", 1);
        stale.freshness = Freshness::Cached { as_of: "T".into() };
        let mut argo = row("eu", "argo", "2.3", 1);
        argo.gitops = Some("Argo CD application argo".into());
        let rows = [row("eu", "done", "2.4", 1), stale, argo, row("eu", "busy", "2.3", 1), row("eu", "go", "2.3", 1)];
        let unfinished: HashSet<(String, String)> = [("eu".to_owned(), "busy".to_owned())].into();
        let update = FleetChange::version("2.4");
        let planned = tenants(&update, &rows, &unfinished, &RolloutSettings::default());
        let states: Vec<(&str, TenantState, &str)> =
            planned.iter().map(|t| (t.tenant.as_str(), t.state, t.message.as_str())).collect();
        assert_eq!(states[0], ("done", TenantState::Skipped, "already there"));
        assert!(states[1].2.starts_with("not live"));
        assert!(states[2].2.contains("Argo CD"));
        assert!(states[3].2.contains("unfinished action"));
        assert_eq!(states[4], ("go", TenantState::Queued, ""));
    }

    #[test]
    fn a_relative_scale_is_frozen_into_each_tenants_own_size() {
        let rows = [row("eu", "a", "1", 2), row("eu", "b", "1", 5), row("eu", "c", "1", 0)];
        let planned = tenants(&FleetChange::ScaleBy { delta: -2 }, &rows, &HashSet::new(), &RolloutSettings::default());
        let sizes: Vec<Option<i32>> = planned
            .iter()
            .map(|t| match &t.change {
                Change::Scale { replicas, .. } if t.state == TenantState::Queued => *replicas,
                _ => None,
            })
            .collect();
        assert_eq!(sizes, [Some(0), Some(3), None]);
        assert_eq!(planned[2].message, "already there");
    }
}
