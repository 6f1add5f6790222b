//! "Since you last looked": the fleet's tenants as the window last saw them, compared with the
//! fleet now, grouped by kind of change (health, version, spec, new, gone).

use std::collections::HashMap;

use tenantry_model::{ChangeGroup, SinceLastLooked, TenantChange, TenantSummary};

use crate::cache::LookedRow;

/// The rows of `tenants` as remembered for the next comparison.
pub fn snapshot(tenants: &[TenantSummary]) -> Vec<LookedRow> {
    tenants
        .iter()
        .map(|t| (t.cluster.clone(), t.id.clone(), t.health.name().to_owned(), t.version.clone(), t.revision))
        .collect()
}

/// What changed between `before` (the fleet as the window saw it at `since`) and `now`.
pub fn changes(since: Option<String>, before: &[LookedRow], now: &[TenantSummary]) -> SinceLastLooked {
    let Some(since) = since else { return SinceLastLooked { since: None, groups: Vec::new() } };
    let earlier: HashMap<(&str, &str), &LookedRow> =
        before.iter().map(|row| ((row.0.as_str(), row.1.as_str()), row)).collect();
    let mut groups: Vec<ChangeGroup> = ["health", "version", "spec", "new", "gone"]
        .iter()
        .map(|kind| ChangeGroup { kind: (*kind).to_owned(), tenants: Vec::new() })
        .collect();
    let mut add = |group: usize, cluster: &str, id: &str, before: String, after: String| {
        groups[group].tenants.push(TenantChange { cluster: cluster.to_owned(), id: id.to_owned(), before, after });
    };
    for tenant in now {
        let Some((_, _, health, version, revision)) = earlier.get(&(tenant.cluster.as_str(), tenant.id.as_str()))
        else {
            add(3, &tenant.cluster, &tenant.id, String::new(), tenant.health.name().to_owned());
            continue;
        };
        if health != tenant.health.name() {
            add(0, &tenant.cluster, &tenant.id, health.clone(), tenant.health.name().to_owned());
        }
        if *version != tenant.version {
            add(1, &tenant.cluster, &tenant.id, version.clone(), tenant.version.clone());
        }
        if *revision != tenant.revision {
            add(
                2,
                &tenant.cluster,
                &tenant.id,
                format!("revision {revision}"),
                format!("revision {}", tenant.revision),
            );
        }
    }
    let present: std::collections::HashSet<(&str, &str)> =
        now.iter().map(|t| (t.cluster.as_str(), t.id.as_str())).collect();
    for (cluster, id, health, _, _) in before {
        if !present.contains(&(cluster.as_str(), id.as_str())) {
            add(4, cluster, id, health.clone(), String::new());
        }
    }
    groups.retain(|g| !g.tenants.is_empty());
    for group in &mut groups {
        group.tenants.sort_by(|a, b| (&a.cluster, &a.id).cmp(&(&b.cluster, &b.id)));
    }
    SinceLastLooked { since: Some(since), groups }
}

#[cfg(test)]
mod tests {
    use tenantry_model::{Freshness, Health};

    use super::*;

    fn tenant(id: &str, health: Health, version: &str, revision: u64) -> TenantSummary {
        TenantSummary {
            id: id.into(),
            cluster: "eu".into(),
            version: version.into(),
            health,
            revision,
            freshness: Freshness::Live,
            ..TenantSummary::default()
        }
    }

    #[test]
    fn changes_are_grouped_by_kind() {
        let before = snapshot(&[
            tenant("alder", Health::Healthy, "6.4", 1),
            tenant("birch", Health::Healthy, "6.4", 1),
            tenant("cedar", Health::Healthy, "6.4", 1),
        ]);
        let now = [
            tenant("alder", Health::Down, "6.4", 1),
            tenant("birch", Health::Healthy, "6.5", 2),
            tenant("dune", Health::Healthy, "6.5", 1),
        ];
        let found = changes(Some("T".into()), &before, &now);
        let kinds: Vec<(&str, Vec<&str>)> =
            found.groups.iter().map(|g| (g.kind.as_str(), g.tenants.iter().map(|t| t.id.as_str()).collect())).collect();
        assert_eq!(
            kinds,
            [
                ("health", vec!["alder"]),
                ("version", vec!["birch"]),
                ("spec", vec!["birch"]),
                ("new", vec!["dune"]),
                ("gone", vec!["cedar"])
            ]
        );
        assert_eq!(
            (found.groups[0].tenants[0].before.as_str(), found.groups[0].tenants[0].after.as_str()),
            ("healthy", "down")
        );
    }

    #[test]
    fn the_first_look_has_nothing_to_compare_with() {
        assert!(changes(None, &[], &[tenant("alder", Health::Healthy, "1", 1)]).groups.is_empty());
    }
}
