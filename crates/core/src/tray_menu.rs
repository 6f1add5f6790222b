//! What the tray icon shows: the fleet's health counts as one line (also the icon's tooltip),
//! and the tenants in trouble now — Down before Degraded, the latest change first — as menu
//! items that open the tenant.

use tenantry_model::{Health, TenantSummary};

/// Most problems listed in the menu.
pub const MOST_PROBLEMS: usize = 6;
/// Longest reason shown in a menu item, in characters.
const REASON_CHARS: usize = 60;

/// The tray menu's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayMenu {
    /// The counts, e.g. "41 healthy · 2 degraded · 1 down · 3 not live".
    pub counts: String,
    /// The tenants in trouble, at most [`MOST_PROBLEMS`].
    pub problems: Vec<Problem>,
    /// How many more are in trouble than listed.
    pub more: usize,
}

/// One tenant in trouble.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What the menu item says, e.g. "maple-shop on eu-west: down — no pod is ready".
    pub label: String,
    /// The tenant's cluster.
    pub cluster: String,
    /// The tenant.
    pub id: String,
}

/// The menu for `tenants` (the fleet's rows now), read once.
pub fn menu<'a>(tenants: impl Iterator<Item = &'a TenantSummary>) -> TrayMenu {
    let (mut healthy, mut progressing, mut degraded, mut down, mut not_live) = (0, 0, 0, 0, 0);
    let mut troubled: Vec<&TenantSummary> = Vec::new();
    for tenant in tenants {
        if !tenant.freshness.is_live() {
            not_live += 1;
            continue;
        }
        match tenant.health {
            Health::Healthy => healthy += 1,
            Health::Progressing => progressing += 1,
            Health::Degraded => degraded += 1,
            Health::Down => down += 1,
            _ => {}
        }
        if matches!(tenant.health, Health::Down | Health::Degraded) {
            troubled.push(tenant);
        }
    }
    let parts: Vec<String> = [
        (healthy, "healthy"),
        (progressing, "progressing"),
        (degraded, "degraded"),
        (down, "down"),
        (not_live, "not live"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, word)| format!("{n} {word}"))
    .collect();
    let counts = if parts.is_empty() { "No tenants".to_owned() } else { parts.join(" · ") };
    troubled.sort_by(|a, b| {
        (b.health == Health::Down).cmp(&(a.health == Health::Down)).then_with(|| b.last_change.cmp(&a.last_change))
    });
    let more = troubled.len().saturating_sub(MOST_PROBLEMS);
    let problems = troubled
        .into_iter()
        .take(MOST_PROBLEMS)
        .map(|t| {
            let mut reason: String = t.reason.chars().take(REASON_CHARS).collect();
            if t.reason.chars().count() > REASON_CHARS {
                reason.push('…');
            }
            Problem {
                label: format!("{} on {}: {} — {reason}", t.id, t.cluster, t.health.name()),
                cluster: t.cluster.clone(),
                id: t.id.clone(),
            }
        })
        .collect();
    TrayMenu { counts, problems, more }
}

#[cfg(test)]
mod tests {
    use tenantry_model::Freshness;

    use super::*;

    fn row(id: &str, health: Health, changed: &str) -> TenantSummary {
        TenantSummary {
            id: id.into(),
            cluster: "eu".into(),
            health,
            reason: "x".repeat(80),
            last_change: Some(changed.into()),
            freshness: Freshness::Live,
            ..TenantSummary::default()
        }
    }

    #[test]
    fn counts_and_the_worst_latest_problems_first() {
        let mut tenants: Vec<TenantSummary> =
            (0..8).map(|n| row(&format!("deg-{n}"), Health::Degraded, &format!("2026-01-0{}", n + 1))).collect();
        tenants.push(row("down-old", Health::Down, "2025-01-01"));
        tenants.push(row("ok", Health::Healthy, "2026-01-01"));
        tenants.push(TenantSummary {
            freshness: Freshness::Cached { as_of: "2026".into() },
            ..row("cached", Health::Down, "2026")
        });
        let menu = menu(tenants.iter());
        assert_eq!(menu.counts, "1 healthy · 8 degraded · 1 down · 1 not live");
        let ids: Vec<&str> = menu.problems.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["down-old", "deg-7", "deg-6", "deg-5", "deg-4", "deg-3"]);
        assert_eq!(menu.more, 3);
        assert!(menu.problems[0].label.starts_with("down-old on eu: down — ") && menu.problems[0].label.ends_with('…'));
    }
}
