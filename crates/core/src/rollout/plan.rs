//! Planning a rollout: the chosen rows frozen into an explicit list, each with its own change
//! (a relative scale becomes each tenant's own size), the tenants left out with the reason, and
//! the waves: a canary spread over the clusters, then waves of a fixed size.

use std::collections::{BTreeMap, HashSet};

use tenantry_model::{Change, FleetChange, RolloutSettings, RolloutTenant, TenantSpec, TenantState, TenantSummary};

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
        // Frozen now, so a run cut after stamping and resumed writes the same stamp: no pod is
        // replaced twice.
        FleetChange::Restart => {
            let change = Change::Restart { workload: None, stamp: Some(crate::labels::now()) };
            Ok((change, pods(row.desired), pods(row.desired)))
        }
        FleetChange::Suspend if row.health == tenantry_model::Health::Suspended => Err("already suspended".to_owned()),
        FleetChange::Suspend => Ok((Change::Suspend, pods(row.desired), pods(0))),
        FleetChange::Resume if row.health != tenantry_model::Health::Suspended => Err("not suspended".to_owned()),
        FleetChange::Resume => Ok((Change::Resume, pods(0), "its remembered size".to_owned())),
        FleetChange::Backup { backup } => {
            Ok((Change::Backup { backup: backup.clone() }, String::new(), format!("backup {backup}")))
        }
        FleetChange::Adopt { .. } if row.revision > 0 => Err("already a Tenantry tenant".to_owned()),
        FleetChange::Adopt { blueprint, plan, version } => {
            let spec = TenantSpec {
                display_name: row.display_name.clone(),
                customer: row.customer.clone(),
                blueprint: blueprint.clone(),
                version: version.clone().unwrap_or_default(),
                plan: if blueprint.is_empty() { String::new() } else { plan.clone() },
                ..TenantSpec::default()
            };
            let after = if blueprint.is_empty() {
                "Tenantry tenant (its workloads' sizes)".to_owned()
            } else {
                format!("Tenantry tenant (blueprint {blueprint})")
            };
            Ok((Change::Adopt { spec }, "not a Tenantry tenant".to_owned(), after))
        }
    }
}

/// The tenants of a rollout of `change` over `rows` (in the order given): each queued with its
/// frozen change and wave, or skipped with the reason — not live, managed by a GitOps controller
/// (it would revert the change), an unfinished action (`unfinished`: context and tenant), or
/// already there. The canary is `canary` (context and tenant) when it names any, else the
/// first of the selection spread over its clusters.
pub fn tenants(
    change: &FleetChange,
    rows: &[TenantSummary],
    unfinished: &HashSet<(String, String)>,
    settings: &RolloutSettings,
    canary: &[(String, String)],
) -> Vec<RolloutTenant> {
    let mut tenants: Vec<RolloutTenant> = rows
        .iter()
        .map(|row| {
            let skipped = |message: String| RolloutTenant {
                context: row.cluster.clone(),
                tenant: row.id.clone(),
                wave: 0,
                change: Change::Restart { workload: None, stamp: None },
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
    assign_waves(&mut tenants, settings, canary);
    tenants
}

/// Puts the queued tenants into waves: the canary is the queued ones of `chosen` when it names
/// any, else `settings.canary` of them taken one cluster after the other; the rest follow in
/// waves of `settings.wave_size`, in order. Skipped tenants stay in wave 0.
fn assign_waves(tenants: &mut [RolloutTenant], settings: &RolloutSettings, chosen: &[(String, String)]) {
    let canary: HashSet<usize> = if chosen.is_empty() {
        spread_canary(tenants, settings.canary)
    } else {
        let chosen: HashSet<(&str, &str)> = chosen.iter().map(|(c, t)| (c.as_str(), t.as_str())).collect();
        let is_chosen = |t: &RolloutTenant| chosen.contains(&(t.context.as_str(), t.tenant.as_str()));
        (0..tenants.len()).filter(|&i| tenants[i].state == TenantState::Queued && is_chosen(&tenants[i])).collect()
    };
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

/// The first `size` queued tenants taken one cluster after the other, by index.
fn spread_canary(tenants: &[RolloutTenant], size: usize) -> HashSet<usize> {
    let mut by_cluster: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, tenant) in tenants.iter().enumerate().filter(|(_, t)| t.state == TenantState::Queued) {
        by_cluster.entry(tenant.context.as_str()).or_default().push(index);
    }
    let mut canary = HashSet::new();
    let mut round = 0;
    while canary.len() < size && by_cluster.values().any(|c| c.len() > round) {
        for indexes in by_cluster.values() {
            if let Some(index) = indexes.get(round)
                && canary.len() < size
            {
                canary.insert(*index);
            }
        }
        round += 1;
    }
    canary
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
        let planned = tenants(&update, &rows, &HashSet::new(), &settings, &[]);
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
        let planned = tenants(&update, &rows, &unfinished, &RolloutSettings::default(), &[]);
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
        let planned =
            tenants(&FleetChange::ScaleBy { delta: -2 }, &rows, &HashSet::new(), &RolloutSettings::default(), &[]);
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

    #[test]
    fn a_chosen_canary_is_exactly_the_named_tenants_that_change() {
        let rows: Vec<TenantSummary> = (0..5).map(|i| row("eu", &format!("t{i}"), "2.3", 1)).collect();
        let mut rows = rows;
        rows[4].version = "2.4".into();
        let chosen = [("eu".to_owned(), "t3".to_owned()), ("eu".to_owned(), "t4".to_owned())];
        let settings = RolloutSettings { canary: 1, wave_size: 2, ..RolloutSettings::default() };
        let planned = tenants(&FleetChange::version("2.4"), &rows, &HashSet::new(), &settings, &chosen);
        let waves: Vec<(&str, usize, TenantState)> =
            planned.iter().map(|t| (t.tenant.as_str(), t.wave, t.state)).collect();
        assert_eq!(
            waves,
            [
                ("t0", 1, TenantState::Queued),
                ("t1", 1, TenantState::Queued),
                ("t2", 2, TenantState::Queued),
                ("t3", 0, TenantState::Queued),
                ("t4", 0, TenantState::Skipped),
            ]
        );
    }

    #[test]
    fn adopting_takes_only_foreign_tenants_with_their_own_names() {
        let mut foreign = row("eu", "shop-a", "", 2);
        foreign.customer = "Alder Ltd".into();
        foreign.display_name = "Alder shop".into();
        let mut ours = row("eu", "ours", "2.3", 1);
        ours.revision = 4;
        let adopt = FleetChange::Adopt { blueprint: "web".into(), plan: "small".into(), version: None };
        let planned = tenants(&adopt, &[foreign, ours], &HashSet::new(), &RolloutSettings::default(), &[]);
        let Change::Adopt { spec } = &planned[0].change else { panic!("an adopt: {:?}", planned[0].change) };
        assert_eq!((spec.customer.as_str(), spec.display_name.as_str()), ("Alder Ltd", "Alder shop"));
        assert_eq!((spec.blueprint.as_str(), spec.plan.as_str(), spec.version.as_str()), ("web", "small", ""));
        assert_eq!(
            (planned[1].state, planned[1].message.as_str()),
            (TenantState::Skipped, "already a Tenantry tenant")
        );
        let sizes = FleetChange::Adopt { blueprint: String::new(), plan: "small".into(), version: None };
        let planned = tenants(&sizes, &[row("eu", "x", "", 1)], &HashSet::new(), &RolloutSettings::default(), &[]);
        let Change::Adopt { spec } = &planned[0].change else { panic!("an adopt") };
        assert_eq!(spec.plan, "", "a plan means nothing without a blueprint");
    }

    #[test]
    fn each_restart_is_frozen_with_its_stamp() {
        let planned = tenants(
            &FleetChange::Restart,
            &[row("eu", "a", "1", 1)],
            &HashSet::new(),
            &RolloutSettings::default(),
            &[],
        );
        assert!(matches!(&planned[0].change, Change::Restart { stamp: Some(stamp), .. } if !stamp.is_empty()));
    }
}
