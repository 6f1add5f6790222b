//! What the rollout view shows about a rollout: counts by state, progress, throughput and an
//! estimate of the time left, and each wave's standing — computed from the rollout alone.

use std::collections::BTreeMap;

use tenantry_model::{Rollout, RolloutState, TenantState};

/// One wave's standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaveRow {
    /// The wave (0 is the canary).
    pub wave: usize,
    /// Its tenants (skipped ones left out).
    pub tenants: usize,
    /// Its tenants in each state.
    pub counts: BTreeMap<TenantState, usize>,
    /// In words: "done", "running", "waiting", "failed".
    pub standing: &'static str,
}

/// A rollout's progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Tenants that run (skipped ones left out).
    pub total: usize,
    /// Of those, the ones that ended (converged or failed).
    pub ended: usize,
    /// Tenants in each state.
    pub counts: BTreeMap<TenantState, usize>,
    /// Tenants ended per minute since the first started.
    pub per_minute: Option<f64>,
    /// Seconds left at that pace, while it runs.
    pub eta_seconds: Option<f64>,
    /// Every wave.
    pub waves: Vec<WaveRow>,
}

impl Progress {
    /// The progress of `rollout` at `now` (ms since the epoch); `parse` reads an RFC 3339 time
    /// as ms since the epoch.
    pub fn of(rollout: &Rollout, now: f64, parse: impl Fn(&str) -> Option<f64>) -> Self {
        let mut counts: BTreeMap<TenantState, usize> = BTreeMap::new();
        for tenant in &rollout.tenants {
            *counts.entry(tenant.state).or_default() += 1;
        }
        let count = |state| counts.get(&state).copied().unwrap_or(0);
        let total = rollout.tenants.len() - count(TenantState::Skipped);
        let ended = count(TenantState::Converged) + count(TenantState::Failed);
        let first_start = rollout.tenants.iter().filter_map(|t| t.started.as_deref().and_then(&parse)).reduce(f64::min);
        let last_end = rollout.tenants.iter().filter_map(|t| t.finished.as_deref().and_then(&parse)).reduce(f64::max);
        let running = rollout.state == RolloutState::Running;
        let until = if running { Some(now) } else { last_end };
        let per_minute = match (first_start, until) {
            (Some(start), Some(end)) if end > start && ended > 0 => Some(ended as f64 / ((end - start) / 60_000.0)),
            _ => None,
        };
        let left = total - ended;
        let eta_seconds = per_minute.filter(|_| running && left > 0).map(|rate| left as f64 / rate * 60.0);
        let waves = (0..rollout.waves())
            .map(|wave| {
                let mut counts: BTreeMap<TenantState, usize> = BTreeMap::new();
                for tenant in rollout.tenants.iter().filter(|t| t.wave == wave && t.state != TenantState::Skipped) {
                    *counts.entry(tenant.state).or_default() += 1;
                }
                let has = |state| counts.get(&state).copied().unwrap_or(0) > 0;
                let standing = if has(TenantState::Running) {
                    "running"
                } else if has(TenantState::Failed) {
                    "failed"
                } else if has(TenantState::Queued) || has(TenantState::Waiting) {
                    "waiting"
                } else {
                    "done"
                };
                WaveRow { wave, tenants: counts.values().sum(), counts, standing }
            })
            .filter(|row| row.tenants > 0)
            .collect();
        Self { total, ended, counts, per_minute, eta_seconds, waves }
    }

    /// Tenants in `state`.
    pub fn count(&self, state: TenantState) -> usize {
        self.counts.get(&state).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use tenantry_model::{Change, RolloutSettings, RolloutTenant};

    use super::*;

    fn tenant(wave: usize, state: TenantState, started: Option<&str>, finished: Option<&str>) -> RolloutTenant {
        RolloutTenant {
            context: "eu".into(),
            tenant: "t".into(),
            wave,
            change: Change::Restart { workload: None, stamp: None },
            revision_before: 1,
            before: String::new(),
            after: String::new(),
            state,
            message: String::new(),
            started: started.map(str::to_owned),
            finished: finished.map(str::to_owned),
        }
    }

    #[test]
    fn pace_and_time_left_come_from_the_tenants_that_ended() {
        use TenantState::{Converged, Queued, Running, Skipped};
        let rollout = Rollout {
            id: 1,
            title: "restart".into(),
            reason: String::new(),
            by: "me".into(),
            created: "0".into(),
            settings: RolloutSettings::default(),
            state: RolloutState::Running,
            message: String::new(),
            tenants: vec![
                tenant(0, Converged, Some("0"), Some("30000")),
                tenant(1, Converged, Some("30000"), Some("60000")),
                tenant(1, Running, Some("60000"), None),
                tenant(2, Queued, None, None),
                tenant(2, Skipped, None, None),
            ],
        };
        let progress = Progress::of(&rollout, 60_000.0, |text| text.parse().ok());
        assert_eq!((progress.total, progress.ended), (4, 2));
        assert_eq!(progress.per_minute, Some(2.0));
        assert_eq!(progress.eta_seconds, Some(60.0));
        let standings: Vec<(usize, &str)> = progress.waves.iter().map(|w| (w.wave, w.standing)).collect();
        assert_eq!(standings, [(0, "done"), (1, "running"), (2, "waiting")]);
    }
}
