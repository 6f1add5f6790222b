//! What the desktop notifications say, decided from the fleet's events: a tenant that turned
//! Down or Degraded and stayed so, one that recovered after it was told, a cluster that went
//! away or came back. Debounced so a person is told about situations, not flickers:
//!
//! - a change is told only once it has held for [`Alerts::hold`] (a tenant Down for 5 s and back
//!   is not told); a tenant told Down is told again only when it recovered (held Healthy) or
//!   got worse (Degraded → Down);
//! - a cluster that stops being live is one notice for the cluster; its tenants' rows go stale
//!   and are not told one by one;
//! - more than [`GROUPED_OVER`] tenant notices due at once become one notice naming them;
//! - only rows seen live count: the cache at start, and a tenant's first live sighting, tell nothing.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tenantry_model::{ConnectionState, FleetEvent, Health, NotificationSettings, TenantSummary};

/// More tenant notices than this due at once are told as one.
pub const GROUPED_OVER: usize = 3;

/// One notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// The headline, e.g. "maple-shop is Down".
    pub summary: String,
    /// The detail: where, and why.
    pub body: String,
    /// Whether it tells of trouble (shown as critical) or of a recovery.
    pub trouble: bool,
    /// The tenant it is about (`CLUSTER/ID`), for opening it; `None` for a cluster or a group.
    pub tenant: Option<String>,
}

/// How bad a tenant's health is, for telling: only these are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Trouble {
    Degraded,
    Down,
}

fn trouble(health: Health) -> Option<Trouble> {
    match health {
        Health::Down => Some(Trouble::Down),
        Health::Degraded => Some(Trouble::Degraded),
        _ => None,
    }
}

/// The health as far as telling goes: a trouble, healthy, or neither; a change of it restarts the hold.
fn standing(health: Health) -> (Option<Trouble>, bool) {
    (trouble(health), health == Health::Healthy)
}

/// What is known of one tenant.
#[derive(Debug)]
struct TenantTrack {
    row: TenantSummary,
    /// Since when its trouble (or its health) has been what it is now.
    since: Instant,
    /// The trouble last told, if any (cleared when its recovery is told).
    told: Option<Trouble>,
}

/// What is known of one cluster.
#[derive(Debug)]
struct ClusterTrack {
    live: bool,
    since: Instant,
    /// Whether it was told gone (cleared when its return is told).
    told_gone: bool,
    /// Whether it has ever been live in this process (a cluster never reached is not "gone").
    ever_live: bool,
    /// Why it is not live, as the fleet says.
    why: String,
}

/// The fleet as the notifications know it, and what is due.
#[derive(Debug)]
pub struct Alerts {
    settings: NotificationSettings,
    hold: Duration,
    tenants: HashMap<(String, String), TenantTrack>,
    clusters: HashMap<String, ClusterTrack>,
}

impl Alerts {
    /// Notices under `settings`, each change held for `hold` before it is told.
    pub fn new(settings: NotificationSettings, hold: Duration) -> Self {
        Self { settings, hold, tenants: HashMap::new(), clusters: HashMap::new() }
    }

    /// How long a change must hold before it is told.
    pub fn hold(&self) -> Duration {
        self.hold
    }

    /// Replaces the settings (the user changed them).
    pub fn set_settings(&mut self, settings: NotificationSettings) {
        self.settings = settings;
    }

    /// Takes in one fleet event seen at `now`.
    pub fn observe(&mut self, event: &FleetEvent, now: Instant) {
        match event {
            FleetEvent::Snapshot { clusters, tenants, .. } => {
                for status in clusters {
                    self.cluster(
                        &status.context,
                        status.state,
                        status.last_error.as_ref().map(|e| e.message.clone()),
                        now,
                    );
                }
                for row in tenants {
                    self.tenant(row, now);
                }
            }
            FleetEvent::Changes(changes) => {
                for row in &changes.upserted {
                    self.tenant(row, now);
                }
                for key in &changes.removed {
                    self.tenants.remove(key);
                }
            }
            FleetEvent::Cluster(status) => {
                self.cluster(&status.context, status.state, status.last_error.as_ref().map(|e| e.message.clone()), now)
            }
        }
    }

    fn cluster(&mut self, context: &str, state: ConnectionState, why: Option<String>, now: Instant) {
        if state == ConnectionState::NotWatched {
            // Turned off (or no longer configured): not gone, and nothing of it is told until it
            // is watched again and seen afresh.
            self.clusters.remove(context);
            self.tenants.retain(|(cluster, _), _| cluster != context);
            return;
        }
        let live = state == ConnectionState::Live;
        let why = why.unwrap_or_else(|| format!("{state:?}").to_lowercase());
        let track = self.clusters.entry(context.to_owned()).or_insert_with(|| ClusterTrack {
            live,
            since: now,
            told_gone: false,
            ever_live: false,
            why: why.clone(),
        });
        if track.live != live {
            track.live = live;
            track.since = now;
        }
        track.ever_live |= live;
        track.why = why;
    }

    fn tenant(&mut self, row: &TenantSummary, now: Instant) {
        if !row.freshness.is_live() {
            return;
        }
        let key = (row.cluster.clone(), row.id.clone());
        match self.tenants.get_mut(&key) {
            None => {
                self.tenants.insert(key, TenantTrack { row: row.clone(), since: now, told: trouble(row.health) });
            }
            Some(track) => {
                if standing(track.row.health) != standing(row.health) {
                    track.since = now;
                }
                track.row = row.clone();
            }
        }
    }

    /// The notices due at `now`, each told once.
    pub fn due(&mut self, now: Instant) -> Vec<Alert> {
        let mut alerts = self.cluster_alerts(now);
        let quiet: Vec<String> =
            self.clusters.iter().filter(|(_, track)| !track.live).map(|(name, _)| name.clone()).collect();
        let mut tenant_alerts = Vec::new();
        for ((cluster, id), track) in &mut self.tenants {
            if quiet.contains(cluster) || now.duration_since(track.since) < self.hold {
                continue;
            }
            let now_trouble = trouble(track.row.health);
            let speaks = self.settings.speaks_of(cluster, id);
            match (track.told, now_trouble) {
                (told, Some(now_trouble)) if told.is_none_or(|told| now_trouble > told) => {
                    track.told = Some(now_trouble);
                    if speaks {
                        let name = display(&track.row);
                        tenant_alerts.push(Alert {
                            summary: format!("{name} is {}", track.row.health.name()),
                            body: format!("{}: {}", cluster, track.row.reason),
                            trouble: true,
                            tenant: Some(format!("{cluster}/{id}")),
                        });
                    }
                }
                (Some(_), None) if track.row.health == Health::Healthy => {
                    track.told = None;
                    if speaks {
                        tenant_alerts.push(Alert {
                            summary: format!("{} recovered", display(&track.row)),
                            body: format!("{cluster}: healthy again"),
                            trouble: false,
                            tenant: Some(format!("{cluster}/{id}")),
                        });
                    }
                }
                _ => {}
            }
        }
        tenant_alerts.sort_by(|a, b| a.tenant.cmp(&b.tenant));
        alerts.extend(group(tenant_alerts));
        alerts
    }

    fn cluster_alerts(&mut self, now: Instant) -> Vec<Alert> {
        let mut alerts = Vec::new();
        let mut names: Vec<&String> = self.clusters.keys().collect();
        names.sort();
        let names: Vec<String> = names.into_iter().cloned().collect();
        for name in names {
            let Some(track) = self.clusters.get_mut(&name) else { continue };
            if now.duration_since(track.since) < self.hold {
                continue;
            }
            let speaks = self.settings.speaks_of_cluster(&name);
            if !track.live && track.ever_live && !track.told_gone {
                track.told_gone = true;
                let count = self.tenants.keys().filter(|(cluster, _)| cluster == &name).count();
                if speaks {
                    alerts.push(Alert {
                        summary: format!("Cluster {name} is not reachable"),
                        body: format!("{count} tenants are no longer seen live: {}", track.why),
                        trouble: true,
                        tenant: None,
                    });
                }
            } else if track.live && track.told_gone {
                track.told_gone = false;
                if speaks {
                    alerts.push(Alert {
                        summary: format!("Cluster {name} is back"),
                        body: "Its tenants are live again.".to_owned(),
                        trouble: false,
                        tenant: None,
                    });
                }
            }
        }
        alerts
    }
}

/// "Maple Shop (maple-shop)", or the id alone when the tenant has no other name.
fn display(row: &TenantSummary) -> String {
    if row.display_name.is_empty() || row.display_name == row.id {
        row.id.clone()
    } else {
        format!("{} ({})", row.display_name, row.id)
    }
}

/// More than [`GROUPED_OVER`] notices become one per kind (trouble, recovery).
fn group(alerts: Vec<Alert>) -> Vec<Alert> {
    if alerts.len() <= GROUPED_OVER {
        return alerts;
    }
    let (trouble, recovered): (Vec<Alert>, Vec<Alert>) = alerts.into_iter().partition(|alert| alert.trouble);
    let mut grouped = Vec::new();
    for (alerts, headline, trouble) in
        [(trouble, "tenants are in trouble", true), (recovered, "tenants recovered", false)]
    {
        match alerts.len() {
            0 => {}
            1..=GROUPED_OVER => grouped.extend(alerts),
            count => {
                let names: Vec<String> = alerts.iter().filter_map(|a| a.tenant.clone()).take(8).collect();
                let more =
                    if count > names.len() { format!(" and {} more", count - names.len()) } else { String::new() };
                grouped.push(Alert {
                    summary: format!("{count} {headline}"),
                    body: format!("{}{more}", names.join(", ")),
                    trouble,
                    tenant: None,
                });
            }
        }
    }
    grouped
}

#[cfg(test)]
mod tests {
    use tenantry_model::{ClusterStatus, Freshness, TenantChanges};

    use super::*;

    const HOLD: Duration = Duration::from_secs(30);

    fn row(id: &str, health: Health) -> TenantSummary {
        TenantSummary {
            id: id.into(),
            cluster: "eu".into(),
            health,
            reason: format!("{} for a reason", health.name()),
            freshness: Freshness::Live,
            ..TenantSummary::default()
        }
    }

    fn changes(rows: Vec<TenantSummary>) -> FleetEvent {
        let upserted = rows.into_iter().map(std::sync::Arc::new).collect();
        FleetEvent::Changes(TenantChanges { cluster: "eu".into(), upserted, removed: Vec::new() })
    }

    fn cluster(state: ConnectionState) -> FleetEvent {
        FleetEvent::Cluster(ClusterStatus {
            context: "eu".into(),
            state,
            last_error: None,
            last_live: None,
            notes: Vec::new(),
        })
    }

    fn summaries(alerts: Vec<Alert>) -> Vec<String> {
        alerts.into_iter().map(|a| a.summary).collect()
    }

    /// Alerts with the default settings, having seen cluster eu live with one healthy tenant,
    /// maple, at the instant returned.
    fn watching_healthy_maple() -> (Alerts, Instant) {
        let start = Instant::now();
        let mut alerts = Alerts::new(NotificationSettings::default(), HOLD);
        alerts.observe(&cluster(ConnectionState::Live), start);
        alerts.observe(&changes(vec![row("maple", Health::Healthy)]), start);
        (alerts, start)
    }

    #[test]
    fn a_tenant_down_is_told_once_it_held_and_its_recovery_after_it_held() {
        let (mut alerts, start) = watching_healthy_maple();
        assert!(alerts.due(start + HOLD).is_empty(), "a first sighting tells nothing");
        let t = start + HOLD;
        alerts.observe(&changes(vec![row("maple", Health::Down)]), t);
        assert!(alerts.due(t + Duration::from_secs(10)).is_empty(), "not yet held");
        assert_eq!(summaries(alerts.due(t + HOLD)), ["maple is down"]);
        assert!(alerts.due(t + HOLD * 2).is_empty(), "told once");
        let t = t + HOLD * 2;
        alerts.observe(&changes(vec![row("maple", Health::Healthy)]), t);
        assert_eq!(summaries(alerts.due(t + HOLD)), ["maple recovered"]);
    }

    #[test]
    fn a_flapping_tenant_is_not_told_and_a_worse_state_is() {
        let (mut alerts, start) = watching_healthy_maple();
        for n in 0..10_u32 {
            let at = start + Duration::from_secs(u64::from(n) * 5);
            let health = if n % 2 == 0 { Health::Down } else { Health::Healthy };
            alerts.observe(&changes(vec![row("maple", health)]), at);
            assert!(alerts.due(at).is_empty(), "flapping every 5 s tells nothing");
        }
        let t = start + Duration::from_secs(60);
        alerts.observe(&changes(vec![row("maple", Health::Degraded)]), t);
        assert_eq!(summaries(alerts.due(t + HOLD)), ["maple is degraded"]);
        alerts.observe(&changes(vec![row("maple", Health::Down)]), t + HOLD);
        assert_eq!(summaries(alerts.due(t + HOLD * 2)), ["maple is down"], "worse is told");
        alerts.observe(&changes(vec![row("maple", Health::Degraded)]), t + HOLD * 2);
        assert!(alerts.due(t + HOLD * 4).is_empty(), "better but not healthy tells nothing");
    }

    #[test]
    fn a_cluster_going_away_is_one_notice_and_many_tenants_are_grouped() {
        let start = Instant::now();
        let mut alerts = Alerts::new(NotificationSettings::default(), HOLD);
        alerts.observe(&cluster(ConnectionState::Live), start);
        let ids: Vec<String> = (0..6).map(|n| format!("shop-{n}")).collect();
        alerts.observe(&changes(ids.iter().map(|id| row(id, Health::Healthy)).collect()), start);
        let t = start + HOLD;
        alerts.observe(&cluster(ConnectionState::Reconnecting), t);
        alerts.observe(&changes(ids.iter().map(|id| row(id, Health::Down)).collect()), t);
        assert_eq!(summaries(alerts.due(t + HOLD)), ["Cluster eu is not reachable"], "one notice, no tenant's");
        let t = t + HOLD;
        alerts.observe(&cluster(ConnectionState::Live), t);
        assert_eq!(summaries(alerts.due(t + HOLD)), ["Cluster eu is back", "6 tenants are in trouble"]);
    }

    #[test]
    fn a_cluster_turned_off_and_on_again_is_not_told() {
        let (mut alerts, start) = watching_healthy_maple();
        let t = start + HOLD;
        alerts.observe(&cluster(ConnectionState::NotWatched), t);
        assert!(alerts.due(t + HOLD * 2).is_empty(), "turned off is not gone");
        let t = t + HOLD * 2;
        alerts.observe(&cluster(ConnectionState::Connecting), t);
        alerts.observe(&cluster(ConnectionState::Live), t + Duration::from_secs(1));
        alerts.observe(&changes(vec![row("maple", Health::Healthy)]), t + Duration::from_secs(1));
        assert!(alerts.due(t + HOLD * 2).is_empty(), "watched again is not back");
        let t = t + HOLD * 2;
        alerts.observe(&cluster(ConnectionState::Reconnecting), t);
        assert_eq!(summaries(alerts.due(t + HOLD)), ["Cluster eu is not reachable"], "and it is followed as before");
    }

    #[test]
    fn muted_tenants_and_clusters_are_not_told() {
        let start = Instant::now();
        let mut settings = NotificationSettings::default();
        settings.muted_clusters.insert("eu".into());
        settings.watched_tenants.insert("eu/maple".into());
        let mut alerts = Alerts::new(settings, HOLD);
        alerts.observe(&cluster(ConnectionState::Live), start);
        alerts.observe(&changes(vec![row("maple", Health::Healthy), row("birch", Health::Healthy)]), start);
        let t = start + HOLD;
        alerts.observe(&changes(vec![row("maple", Health::Down), row("birch", Health::Down)]), t);
        assert_eq!(summaries(alerts.due(t + HOLD)), ["maple is down"]);
    }
}
