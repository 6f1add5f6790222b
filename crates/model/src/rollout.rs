//! Fleet changes: one change to many tenants across clusters, frozen into a list, run in waves
//! with a health gate between them and a failure budget, durable across restarts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Change;

/// One change for many tenants, as a person asks for it; planning freezes it into each
/// tenant's own [`Change`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum FleetChange {
    /// Set the version, the plan, single config keys or blueprint parameters.
    Update {
        /// The new version.
        version: Option<String>,
        /// The new plan.
        plan: Option<String>,
        /// Config keys to set (`Some`) or remove (`None`); the others stay.
        #[serde(default)]
        config: BTreeMap<String, Option<String>>,
        /// Blueprint parameters to set; the others stay.
        #[serde(default)]
        parameters: BTreeMap<String, String>,
    },
    /// Run this many pods.
    ScaleTo {
        /// Pods each runs.
        replicas: i32,
    },
    /// Run this many more (or, negative, fewer) pods than each runs now.
    ScaleBy {
        /// Pods more (or fewer).
        delta: i32,
    },
    /// Replace every pod.
    Restart,
    /// Scale to zero, remembering the size.
    Suspend,
    /// Back to the remembered size.
    Resume,
    /// A backup now, with this id.
    Backup {
        /// The backup's id.
        backup: String,
    },
    /// Make tenants Tenantry did not create Tenantry tenants (each keeps its own name,
    /// customer, domains and sizes, read from what runs).
    Adopt {
        /// The blueprint that renders them from now on (empty: none, the spec records each
        /// workload's size).
        blueprint: String,
        /// The plan, with a blueprint.
        #[serde(default)]
        plan: String,
        /// The version (`None`: read from each tenant's main workload).
        #[serde(default)]
        version: Option<String>,
    },
}

impl FleetChange {
    /// A version change, nothing else.
    pub fn version(version: &str) -> Self {
        Self::Update {
            version: Some(version.to_owned()),
            plan: None,
            config: BTreeMap::new(),
            parameters: BTreeMap::new(),
        }
    }

    /// The change in words, as the rollout's title.
    pub fn title(&self) -> String {
        match self {
            Self::Update { version, plan, config, parameters } => {
                let mut parts: Vec<String> = Vec::new();
                parts.extend(version.as_ref().map(|v| format!("version {v}")));
                parts.extend(plan.as_ref().map(|p| format!("plan {p}")));
                parts.extend(config.iter().map(|(key, value)| match value {
                    Some(value) => format!("config {key}={value}"),
                    None => format!("config {key} removed"),
                }));
                parts.extend(parameters.iter().map(|(name, value)| format!("parameter {name}={value}")));
                format!("update {}", parts.join(", "))
            }
            Self::ScaleTo { replicas } => format!("scale to {replicas} pods"),
            Self::ScaleBy { delta } => format!("scale by {delta:+} pods"),
            Self::Restart => "restart".to_owned(),
            Self::Suspend => "suspend".to_owned(),
            Self::Resume => "resume".to_owned(),
            Self::Backup { backup } => format!("back up as {backup}"),
            Self::Adopt { blueprint, .. } if blueprint.is_empty() => "adopt, recording the workloads' sizes".to_owned(),
            Self::Adopt { blueprint, plan, version } => {
                let mut title = format!("adopt with blueprint {blueprint}");
                if !plan.is_empty() {
                    title.push_str(&format!(", plan {plan}"));
                }
                if let Some(version) = version {
                    title.push_str(&format!(", version {version}"));
                }
                title
            }
        }
    }

    /// Whether it asks for nothing (an update naming no field).
    pub fn is_empty(&self) -> bool {
        matches!(self, Self::Update { version: None, plan: None, config, parameters } if config.is_empty() && parameters.is_empty())
    }
}

/// How a rollout runs its waves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutSettings {
    /// Tenants in the first (canary) wave, spread over the selection's clusters.
    pub canary: usize,
    /// Tenants in each later wave.
    pub wave_size: usize,
    /// Tenants changed at once on one cluster.
    pub per_cluster: usize,
    /// Seconds every tenant of a wave must stay healthy before the next wave starts.
    pub hold_seconds: u64,
    /// Stop when more than this many tenants have failed.
    pub max_failures: usize,
    /// Stop when more than this share (percent) of the tenants attempted so far have failed.
    pub max_failure_percent: u8,
}

impl Default for RolloutSettings {
    fn default() -> Self {
        Self { canary: 1, wave_size: 10, per_cluster: 4, hold_seconds: 30, max_failures: 0, max_failure_percent: 10 }
    }
}

/// Where one tenant of a rollout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantState {
    /// Not started yet.
    Queued,
    /// Its action runs.
    Running,
    /// Changed, running as asked and healthy through the gate.
    Converged,
    /// Its action failed, or it turned unhealthy during the gate.
    Failed,
    /// Left out, with the reason (already there, refused, changed by someone else, …).
    Skipped,
    /// Its cluster does not answer; it runs when the rollout resumes with the cluster back.
    Waiting,
}

impl TenantState {
    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Converged => "converged",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
            Self::Waiting => "waiting for its cluster",
        }
    }
}

/// Where a rollout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloutState {
    /// Planned, not started.
    Planned,
    /// Waves are running.
    Running,
    /// Stopped on purpose or by a restart; resuming continues where it stopped.
    Paused,
    /// Stopped by the health gate or the failure budget.
    Stopped,
    /// Aborted: no more tenants start.
    Aborted,
    /// Every wave ran.
    Finished,
}

/// One tenant of a rollout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutTenant {
    /// Its cluster (context).
    pub context: String,
    /// The tenant.
    pub tenant: String,
    /// Its wave (0 is the canary).
    pub wave: usize,
    /// The change for it, frozen when the rollout was planned.
    pub change: Change,
    /// Its spec revision when planned (0: none).
    pub revision_before: u64,
    /// What it ran before (the version, the pods), for the report.
    pub before: String,
    /// What it runs after, for the report.
    pub after: String,
    /// Where it stands.
    pub state: TenantState,
    /// Why it failed or was skipped, or its action's outcome.
    pub message: String,
    /// When its action started and ended (RFC 3339).
    pub started: Option<String>,
    /// When it ended.
    pub finished: Option<String>,
}

/// A rollout with every tenant's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollout {
    /// Its id.
    pub id: i64,
    /// What it does, in words ("update version 2.4.0").
    pub title: String,
    /// Why (a ticket), recorded on every tenant's audit entry with the rollout's id.
    pub reason: String,
    /// Who planned it (the OS user).
    pub by: String,
    /// When it was planned (RFC 3339).
    pub created: String,
    /// How it runs.
    pub settings: RolloutSettings,
    /// Where it stands.
    pub state: RolloutState,
    /// Why it stopped, or how it ended.
    pub message: String,
    /// Its tenants, in the order they run.
    pub tenants: Vec<RolloutTenant>,
}

impl Rollout {
    /// How many tenants are in `state`.
    pub fn count(&self, state: TenantState) -> usize {
        self.tenants.iter().filter(|t| t.state == state).count()
    }

    /// How many waves it has.
    pub fn waves(&self) -> usize {
        self.tenants.iter().map(|t| t.wave + 1).max().unwrap_or(0)
    }
}

/// What changes in a rollout while it runs: its state and each tenant's (the rest is fixed
/// when it is planned), so a window following it reads a fraction of the whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutStatus {
    /// Where it stands.
    pub state: RolloutState,
    /// Why it stopped, or how it ended.
    pub message: String,
    /// Each tenant, in the rollout's order.
    pub tenants: Vec<TenantStatus>,
}

/// Where one tenant of a rollout stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantStatus {
    /// Its state.
    pub state: TenantState,
    /// Why, or its action's outcome.
    pub message: String,
    /// When its action started (RFC 3339).
    pub started: Option<String>,
    /// When it ended.
    pub finished: Option<String>,
}

impl Rollout {
    /// What changes while it runs.
    pub fn status(&self) -> RolloutStatus {
        RolloutStatus {
            state: self.state,
            message: self.message.clone(),
            tenants: self
                .tenants
                .iter()
                .map(|t| TenantStatus {
                    state: t.state,
                    message: t.message.clone(),
                    started: t.started.clone(),
                    finished: t.finished.clone(),
                })
                .collect(),
        }
    }

    /// This rollout with `changes` applied; `None` when they do not fit (another tenant count,
    /// or a tenant index out of range).
    pub fn with_changes(&self, changes: RolloutChanges) -> Option<Self> {
        if changes.count != self.tenants.len() || changes.changed.iter().any(|(index, _)| *index >= changes.count) {
            return None;
        }
        let mut next = self.clone();
        next.state = changes.state;
        next.message = changes.message;
        for (index, now) in changes.changed {
            let tenant = &mut next.tenants[index];
            tenant.state = now.state;
            tenant.message = now.message;
            tenant.started = now.started;
            tenant.finished = now.finished;
        }
        Some(next)
    }
}

impl RolloutStatus {
    /// What changed from `before` (the status a window holds; `None`: it holds none, so every
    /// tenant), as the changes that bring it to `generation`.
    pub fn changes_since(&self, before: Option<&RolloutStatus>, generation: u64) -> RolloutChanges {
        let before = before.filter(|before| before.tenants.len() == self.tenants.len());
        let changed = self
            .tenants
            .iter()
            .enumerate()
            .filter(|(index, now)| before.is_none_or(|before| before.tenants[*index] != **now))
            .map(|(index, now)| (index, now.clone()))
            .collect();
        RolloutChanges {
            generation,
            state: self.state,
            message: self.message.clone(),
            count: self.tenants.len(),
            changed,
        }
    }
}

/// What changed in a running rollout since the window last asked: a second's poll of 1,000
/// tenants carries the few dozen that moved, not all of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutChanges {
    /// What the window holds once these are applied; it names it when it asks next.
    pub generation: u64,
    /// Where the rollout stands.
    pub state: RolloutState,
    /// Why it stopped, or how it ended.
    pub message: String,
    /// How many tenants the rollout has.
    pub count: usize,
    /// Each tenant whose status changed, by its place in the rollout's order.
    pub changed: Vec<(usize, TenantStatus)>,
}

impl RolloutChanges {
    /// Whether applying these to `rollout` would change nothing.
    pub fn change_nothing_in(&self, rollout: &Rollout) -> bool {
        self.changed.is_empty()
            && self.count == rollout.tenants.len()
            && self.state == rollout.state
            && self.message == rollout.message
    }
}

/// A rollout as the list of rollouts shows it: without its tenants, with their counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutSummary {
    /// Its id.
    pub id: i64,
    /// What it does, in words.
    pub title: String,
    /// Why.
    pub reason: String,
    /// Who planned it.
    pub by: String,
    /// When it was planned (RFC 3339).
    pub created: String,
    /// Where it stands.
    pub state: RolloutState,
    /// Tenants that run (skipped ones left out).
    pub total: usize,
    /// Of those, converged.
    pub converged: usize,
    /// Of those, failed.
    pub failed: usize,
}

impl From<&Rollout> for RolloutSummary {
    fn from(rollout: &Rollout) -> Self {
        Self {
            id: rollout.id,
            title: rollout.title.clone(),
            reason: rollout.reason.clone(),
            by: rollout.by.clone(),
            created: rollout.created.clone(),
            state: rollout.state,
            total: rollout.tenants.len() - rollout.count(TenantState::Skipped),
            converged: rollout.count(TenantState::Converged),
            failed: rollout.count(TenantState::Failed),
        }
    }
}

/// Tenants of a planned rollout whose renders change the same fields to the same values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutGroup {
    /// How many tenants.
    pub tenants: usize,
    /// The first few of them, as `cluster/id`.
    pub examples: Vec<String>,
    /// The field changes in words, e.g. `Deployment/app spec.template.spec.containers[0].image:
    /// web:2.3.1, web:2.3.2 → web:2.4.0`.
    pub changes: Vec<String>,
    /// What the server's dry run of one of them (`cluster/id`) said.
    pub dry_run: String,
}

/// A planned rollout with its preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutPlan {
    /// The rollout, recorded as planned.
    pub rollout: Rollout,
    /// Its queued tenants grouped by what changes for them, largest group first.
    pub groups: Vec<RolloutGroup>,
}

/// What a rollout reports while it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RolloutEvent {
    /// A wave starts.
    WaveStarted {
        /// The wave.
        wave: usize,
        /// Its tenants.
        tenants: usize,
    },
    /// A tenant's state changed.
    Tenant {
        /// Its position in the rollout.
        position: usize,
        /// Where it stands.
        state: TenantState,
        /// Why, or its outcome.
        message: String,
    },
    /// The gate holds a wave: its tenants must stay healthy this long.
    Holding {
        /// The wave.
        wave: usize,
        /// Seconds held.
        seconds: u64,
    },
    /// The rollout's state changed.
    State {
        /// Where it stands.
        state: RolloutState,
        /// Why.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rollout_of(count: usize) -> Rollout {
        let tenant = |n: usize| RolloutTenant {
            context: "eu".into(),
            tenant: format!("t{n}"),
            wave: 0,
            change: Change::Restart { workload: None, stamp: None },
            revision_before: 1,
            before: "1 pods".into(),
            after: "1 pods".into(),
            state: TenantState::Queued,
            message: String::new(),
            started: None,
            finished: None,
        };
        Rollout {
            id: 1,
            title: "restart".into(),
            reason: String::new(),
            by: "me".into(),
            created: "T".into(),
            settings: RolloutSettings::default(),
            state: RolloutState::Running,
            message: String::new(),
            tenants: (0..count).map(tenant).collect(),
        }
    }

    #[test]
    fn changes_carry_only_the_tenants_that_moved_and_apply_to_their_rollout_only() {
        let rollout = rollout_of(3);
        let before = rollout.status();
        let everything = before.changes_since(None, 1);
        assert_eq!(everything.changed.len(), 3, "a window holding nothing gets every tenant");
        assert_eq!(rollout.with_changes(everything).as_ref(), Some(&rollout));
        assert!(before.changes_since(Some(&before), 2).change_nothing_in(&rollout));

        let mut now = before.clone();
        now.state = RolloutState::Finished;
        now.tenants[1].state = TenantState::Converged;
        now.tenants[1].finished = Some("T2".into());
        let changes = now.changes_since(Some(&before), 3);
        assert_eq!(changes.changed.iter().map(|(index, _)| *index).collect::<Vec<_>>(), [1]);
        assert!(!changes.change_nothing_in(&rollout));
        let next = rollout.with_changes(changes.clone()).expect("fits");
        assert_eq!(next.status(), now);

        assert_eq!(rollout_of(2).with_changes(changes.clone()), None, "another tenant count");
        let out_of_range = RolloutChanges { changed: vec![(7, now.tenants[0].clone())], ..changes };
        assert_eq!(rollout.with_changes(out_of_range), None);
        let shorter = RolloutStatus { tenants: now.tenants[..2].to_vec(), ..now.clone() };
        assert_eq!(shorter.changes_since(Some(&before), 4).changed.len(), 2, "another shape: everything");
    }
}
