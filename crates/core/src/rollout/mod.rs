//! Fleet rollouts: one change to many tenants across clusters. Planning freezes the selection
//! into an explicit list (each tenant's own change, the skipped ones with the reason, the
//! identity's missing permissions checked per cluster) and records it; running takes the waves
//! in order — each cluster's tenants through one shared session at bounded concurrency, the
//! clusters side by side — then holds a health gate (every tenant of the wave stays healthy for
//! the hold time) and checks the failure budget. Every tenant's state is written as it changes,
//! so a rollout paused, aborted, or cut short by a closed app or a lost cluster resumes where it
//! stopped without changing a converged tenant again; a tenant whose spec moved since planning
//! is skipped with the reason, never changed blindly.

mod plan;
mod preview;

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::{FutureExt as _, StreamExt as _};
use tenantry_model::{
    ActionRequest, ActionResult, FleetChange, Health, Rollout, RolloutEvent, RolloutSettings, RolloutState,
    TenantState, TenantSummary,
};

use crate::actions::{Actions, Batch};
use crate::cache::CacheError;
use crate::kubeconfig::ContextEntry;
use crate::labels::now;

/// The message of a failed tenant queued again when a stopped rollout continues.
const RETRIED: &str = "failed before the rollout stopped; runs again";
/// How often the gate looks at the wave's health.
const GATE_POLL: Duration = Duration::from_millis(500);
/// How long the gate waits for the fleet's live view to see a converged tenant healthy before
/// its hold starts: the fleet's watches trail the action's own reads by a moment.
const CATCH_UP: Duration = Duration::from_secs(10);

/// A tenant's health and reason as the fleet sees it live now (`None`: not known live).
pub type HealthOf<'a> = dyn Fn(&str, &str) -> Option<(Health, String)> + Send + Sync + 'a;

/// Why a rollout cannot be planned or run.
#[derive(Debug, thiserror::Error)]
pub enum RolloutError {
    /// The records file cannot be read or written.
    #[error("the rollout cannot be recorded")]
    Cache(#[from] CacheError),
    /// No rollout has this id.
    #[error("there is no rollout #{0}")]
    Unknown(i64),
    /// The rollout ended; it cannot run again.
    #[error("rollout #{id} is {state}; it cannot run again")]
    Ended {
        /// The rollout.
        id: i64,
        /// How it ended.
        state: &'static str,
    },
    /// Another process runs the rollout now.
    #[error("rollout #{id} runs in {owner}; pause it there, or wait until it stops")]
    RunningElsewhere {
        /// The rollout.
        id: i64,
        /// Where it runs ("process 123 on host").
        owner: String,
    },
    /// The change sets a secret config key, whose value would be recorded with the rollout.
    #[error("config key {0:?} holds a secret: set it per tenant, so its value is never recorded with a rollout")]
    SecretKey(String),
    /// Nothing in the selection would change.
    #[error("none of the {} chosen tenants would change: {}", .0.len(), .0.join("; "))]
    Nothing(Vec<String>),
    /// A canary tenant is not among the tenants the rollout changes.
    #[error("canary tenant {0} is not among the chosen tenants")]
    CanaryNotChosen(String),
    /// None of the chosen canary tenants would change.
    #[error("none of the canary tenants would change: {}", .0.join("; "))]
    CanaryUnchanged(Vec<String>),
}

/// Plans and runs rollouts with `actions` over the clusters of `entries`, judging health with
/// `health`.
pub struct Rollouts<'a> {
    actions: &'a Actions,
    entries: BTreeMap<String, ContextEntry>,
    health: &'a HealthOf<'a>,
}

impl<'a> Rollouts<'a> {
    /// Rollouts over `entries`' clusters.
    pub fn new(actions: &'a Actions, entries: Vec<ContextEntry>, health: &'a HealthOf<'a>) -> Self {
        Self { actions, entries: entries.into_iter().map(|e| (e.name.clone(), e)).collect(), health }
    }

    /// Freezes `change` over `rows` into a recorded rollout (state planned): the skipped tenants
    /// with the reason, including those whose identity lacks a permission the change needs. The
    /// canary is `canary` (context and tenant, each among `rows`) when it names any.
    pub async fn plan(
        &self,
        change: &FleetChange,
        rows: &[TenantSummary],
        settings: RolloutSettings,
        canary: &[(String, String)],
        reason: &str,
    ) -> Result<Rollout, RolloutError> {
        if let Some((cluster, id)) = canary.iter().find(|(c, t)| !rows.iter().any(|r| r.cluster == *c && r.id == *t)) {
            return Err(RolloutError::CanaryNotChosen(format!("{cluster}/{id}")));
        }
        if let FleetChange::Update { config, .. } = change
            && let Some(key) = config.keys().find(|key| crate::actions::is_secret(key))
        {
            return Err(RolloutError::SecretKey(key.clone()));
        }
        let unfinished: HashSet<(String, String)> = self
            .actions
            .unfinished()
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.request.context, e.request.tenant))
            .collect();
        let mut tenants = plan::tenants(change, rows, &unfinished, &settings, canary);
        let clusters: HashSet<String> = tenants.iter().map(|t| t.context.clone()).collect();
        for cluster in clusters {
            let batch = match self.entries.get(&cluster) {
                Some(entry) => self.actions.batch(entry).await.ok(),
                None => None,
            };
            for tenant in tenants.iter_mut().filter(|t| t.context == cluster && t.state == TenantState::Queued) {
                let Some(batch) = &batch else {
                    tenant.state = TenantState::Waiting;
                    tenant.message = "its cluster cannot be reached".to_owned();
                    continue;
                };
                if let Ok(missing) = batch.missing(tenant.change.kind(), &tenant.tenant).await
                    && !missing.is_empty()
                {
                    tenant.state = TenantState::Skipped;
                    tenant.message = format!("refused: this identity lacks {}", missing.join(", "));
                }
            }
        }
        if !tenants.iter().any(|t| matches!(t.state, TenantState::Queued | TenantState::Waiting)) {
            return Err(RolloutError::Nothing(skipped(&tenants)));
        }
        let is_canary =
            |t: &&tenantry_model::RolloutTenant| canary.iter().any(|(c, id)| *c == t.context && *id == t.tenant);
        if !canary.is_empty() && !tenants.iter().filter(is_canary).any(|t| t.state == TenantState::Queued) {
            let chosen: Vec<tenantry_model::RolloutTenant> = tenants.iter().filter(is_canary).cloned().collect();
            return Err(RolloutError::CanaryUnchanged(skipped(&chosen)));
        }
        let mut rollout = Rollout {
            id: 0,
            title: change.title(),
            reason: reason.to_owned(),
            by: crate::actions::os_user(),
            created: now(),
            settings,
            state: RolloutState::Planned,
            message: String::new(),
            tenants,
        };
        rollout.id = self.actions.cache().rollout_create(&rollout).await?;
        Ok(rollout)
    }

    /// Plans the roll back of rollout `id`'s converged tenants — each back to its spec before
    /// the rollout (a new revision, like a revert), in waves as the rollout ran; tenants whose
    /// change kept no revision (a restart, a backup) are skipped with the reason.
    pub async fn plan_roll_back(&self, id: i64, reason: &str) -> Result<Rollout, RolloutError> {
        let cache = self.actions.cache();
        let original = cache.rollout(id).await?.ok_or(RolloutError::Unknown(id))?;
        let tenants: Vec<tenantry_model::RolloutTenant> = original
            .tenants
            .iter()
            .filter(|t| t.state == TenantState::Converged)
            .map(|t| {
                let spec_change = t.revision_before > 0
                    && matches!(
                        t.change,
                        tenantry_model::Change::Update { .. }
                            | tenantry_model::Change::Scale { .. }
                            | tenantry_model::Change::Suspend
                            | tenantry_model::Change::Resume
                    );
                let (state, message) = if spec_change {
                    (TenantState::Queued, String::new())
                } else {
                    (TenantState::Skipped, "its change kept no revision to go back to".to_owned())
                };
                tenantry_model::RolloutTenant {
                    change: tenantry_model::Change::Rollback { revision: t.revision_before },
                    // The rollout's own change made exactly one revision.
                    revision_before: t.revision_before + 1,
                    before: t.after.clone(),
                    after: t.before.clone(),
                    state,
                    message,
                    started: None,
                    finished: None,
                    ..t.clone()
                }
            })
            .collect();
        if !tenants.iter().any(|t| t.state == TenantState::Queued) {
            return Err(RolloutError::Nothing(skipped(&tenants)));
        }
        let mut rollout = Rollout {
            id: 0,
            title: format!("roll back rollout #{id} ({})", original.title),
            reason: reason.to_owned(),
            by: crate::actions::os_user(),
            created: now(),
            settings: original.settings,
            state: RolloutState::Planned,
            message: String::new(),
            tenants,
        };
        rollout.id = cache.rollout_create(&rollout).await?;
        Ok(rollout)
    }

    /// Runs rollout `id` from where it stands until it finishes, stops at a gate, or someone
    /// pauses or aborts it (here or in another process), reporting to `progress`. The rollout
    /// is this process's while it runs (a heartbeat says so); one another live process runs is
    /// refused.
    pub async fn run(&self, id: i64, progress: &mut (dyn FnMut(RolloutEvent) + Send)) -> Result<Rollout, RolloutError> {
        let cache = self.actions.cache();
        if let Some(owner) = running_elsewhere(cache, id).await? {
            return Err(RolloutError::RunningElsewhere { id, owner });
        }
        cache.rollout_claim(id, &crate::actions::this_process(), &now()).await?;
        let beat = async {
            loop {
                tokio::time::sleep(crate::actions::HEARTBEAT_EVERY).await;
                if let Err(error) = cache.rollout_beat(id, &now()).await {
                    tracing::warn!(rollout = id, error = %crate::error::chain(&error), "cannot write the rollout's heartbeat");
                }
            }
        };
        tokio::select! {
            ran = self.run_waves(id, progress) => ran,
            () = beat => unreachable!("the heartbeat loop never ends"),
        }
    }

    /// [`Self::run`] once the rollout is this process's.
    async fn run_waves(
        &self,
        id: i64,
        progress: &mut (dyn FnMut(RolloutEvent) + Send),
    ) -> Result<Rollout, RolloutError> {
        let cache = self.actions.cache();
        let mut rollout = cache.rollout(id).await?.ok_or(RolloutError::Unknown(id))?;
        match rollout.state {
            RolloutState::Finished => return Err(RolloutError::Ended { id, state: "finished" }),
            RolloutState::Aborted => return Err(RolloutError::Ended { id, state: "aborted" }),
            _ => {}
        }
        if rollout.state == RolloutState::Stopped {
            // Continuing after the gate stopped it: whoever continues has dealt with the
            // failures, so the failed tenants run again (the converged ones do not).
            for position in 0..rollout.tenants.len() {
                if rollout.tenants[position].state == TenantState::Failed {
                    cache.rollout_set_tenant(id, position, TenantState::Queued, RETRIED, &now()).await?;
                    rollout.tenants[position].state = TenantState::Queued;
                    RETRIED.clone_into(&mut rollout.tenants[position].message);
                }
            }
        }
        self.set_state(&mut rollout, RolloutState::Running, "", progress).await?;
        for wave in 0..rollout.waves() {
            match cache.rollout_state(id).await? {
                Some(RolloutState::Paused) => return self.stopped(rollout, RolloutState::Paused, progress).await,
                Some(RolloutState::Aborted) => return self.stopped(rollout, RolloutState::Aborted, progress).await,
                _ => {}
            }
            let members: Vec<usize> = (0..rollout.tenants.len())
                .filter(|&p| rollout.tenants[p].wave == wave)
                .filter(|&p| {
                    matches!(
                        rollout.tenants[p].state,
                        TenantState::Queued | TenantState::Running | TenantState::Waiting
                    )
                })
                .collect();
            if members.is_empty() {
                continue;
            }
            progress(RolloutEvent::WaveStarted { wave, tenants: members.len() });
            self.run_wave(&mut rollout, &members, progress).await?;
            match cache.rollout_state(id).await? {
                Some(RolloutState::Paused) => return self.stopped(rollout, RolloutState::Paused, progress).await,
                Some(RolloutState::Aborted) => return self.stopped(rollout, RolloutState::Aborted, progress).await,
                _ => {}
            }
            self.gate(&mut rollout, wave, &members, progress).await?;
            if let Some(why) = over_budget(&rollout) {
                let state = RolloutState::Stopped;
                self.set_state(&mut rollout, state, &why, progress).await?;
                return Ok(rollout);
            }
        }
        let waiting = rollout.count(TenantState::Waiting);
        let (state, message) = if waiting > 0 {
            (RolloutState::Paused, format!("{waiting} tenants wait for their cluster; resume once it answers"))
        } else {
            let (done, failed, skipped) = (
                rollout.count(TenantState::Converged),
                rollout.count(TenantState::Failed),
                rollout.count(TenantState::Skipped),
            );
            (RolloutState::Finished, format!("{done} converged, {failed} failed, {skipped} skipped"))
        };
        self.set_state(&mut rollout, state, &message, progress).await?;
        Ok(rollout)
    }

    /// Ends a run that someone paused or aborted: the in-flight tenants have finished.
    async fn stopped(
        &self,
        mut rollout: Rollout,
        state: RolloutState,
        progress: &mut (dyn FnMut(RolloutEvent) + Send),
    ) -> Result<Rollout, RolloutError> {
        let message = match state {
            RolloutState::Aborted => "aborted: the tenants in flight finished, no more start",
            _ => "paused: resume to go on where it stopped",
        };
        self.set_state(&mut rollout, state, message, progress).await?;
        Ok(rollout)
    }

    /// Runs the tenants at `members` positions: each cluster's through one batch at
    /// `per_cluster` at a time, the clusters side by side; a cluster that cannot be reached has
    /// its tenants wait.
    async fn run_wave(
        &self,
        rollout: &mut Rollout,
        members: &[usize],
        progress: &mut (dyn FnMut(RolloutEvent) + Send),
    ) -> Result<(), RolloutError> {
        let mut by_cluster: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for &position in members {
            by_cluster.entry(rollout.tenants[position].context.clone()).or_default().push(position);
        }
        let snapshot = rollout.clone();
        let events: Mutex<Vec<(usize, TenantState, String)>> = Mutex::new(Vec::new());
        let clusters = by_cluster.iter().map(|(cluster, positions)| {
            let (snapshot, events) = (&snapshot, &events);
            async move {
                let batch = match self.entries.get(cluster) {
                    Some(entry) => self.actions.batch(entry).await.map_err(|e| crate::error::chain(&e)),
                    None => Err("the kubeconfig no longer has this cluster".to_owned()),
                };
                let batch = match batch {
                    Ok(batch) => batch,
                    Err(why) => {
                        for &p in positions {
                            self.record(snapshot.id, p, TenantState::Waiting, &why, events).await;
                        }
                        return;
                    }
                };
                let per_cluster = snapshot.settings.per_cluster.max(1);
                // Boxed: a spawned rollout's future must be `Send` for every lifetime it borrows.
                futures::stream::iter(
                    positions.iter().copied().map(|p| self.run_tenant(&batch, snapshot, p, events).boxed()),
                )
                .buffer_unordered(per_cluster)
                .collect::<Vec<()>>()
                .await;
            }
            .boxed()
        });
        futures::future::join_all(clusters).await;
        for (position, state, message) in events.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
            rollout.tenants[position].state = state;
            rollout.tenants[position].message.clone_from(&message);
            progress(RolloutEvent::Tenant { position, state, message });
        }
        Ok(())
    }

    /// Runs one tenant's frozen change, unless its spec moved since planning (by anyone but
    /// this rollout, whose own earlier write a resumed run recognises by its reason).
    async fn run_tenant(
        &self,
        batch: &Batch<'_>,
        rollout: &Rollout,
        position: usize,
        events: &Mutex<Vec<(usize, TenantState, String)>>,
    ) {
        let tenant = &rollout.tenants[position];
        // Paused or aborted (here or elsewhere) while the wave ran: this tenant stays queued.
        if matches!(
            self.actions.cache().rollout_state(rollout.id).await,
            Ok(Some(RolloutState::Paused | RolloutState::Aborted))
        ) {
            return;
        }
        let marker = format!("rollout #{}", rollout.id);
        match batch.revision(&tenant.tenant).await {
            Ok(now) if now != tenant.revision_before && !self.moved_by_this(batch, tenant, now, &marker).await => {
                let why = format!(
                    "its spec changed since the rollout was planned (revision {} → {now})",
                    tenant.revision_before
                );
                self.record(rollout.id, position, TenantState::Skipped, &why, events).await;
                return;
            }
            Ok(_) => {}
            Err(error) => {
                self.record(rollout.id, position, TenantState::Waiting, &crate::error::chain(&error), events).await;
                return;
            }
        }
        self.record(rollout.id, position, TenantState::Running, "", events).await;
        let reason = if rollout.reason.is_empty() { marker.clone() } else { format!("{} ({marker})", rollout.reason) };
        let request = ActionRequest {
            context: tenant.context.clone(),
            tenant: tenant.tenant.clone(),
            change: tenant.change.clone(),
            take_over: false,
            reason,
        };
        let ran = batch.run(&request).await;
        if let Ok(outcome) = &ran
            && outcome.result == ActionResult::Succeeded
            && (tenant.state == TenantState::Running || tenant.message == RETRIED)
        {
            self.settle_cut_runs(&request, &marker, outcome.journal_id).await;
        }
        let (state, message) = match ran {
            Ok(outcome) => match outcome.result {
                ActionResult::Succeeded => (TenantState::Converged, outcome.message),
                ActionResult::Refused => (TenantState::Skipped, outcome.message),
                ActionResult::Failed if outcome.message.contains("stopped answering") => {
                    (TenantState::Waiting, outcome.message)
                }
                ActionResult::Failed => (TenantState::Failed, outcome.message),
            },
            Err(error) => (TenantState::Failed, crate::error::chain(&error)),
        };
        self.record(rollout.id, position, state, &message, events).await;
    }

    /// Whether this rollout itself moved `tenant`'s spec to revision `now`: its history entry
    /// carries the rollout's `marker`, or (a run cut off between writing the spec and its
    /// history) this rollout's journal entry for the tenant started from the planned revision.
    async fn moved_by_this(
        &self,
        batch: &Batch<'_>,
        tenant: &tenantry_model::RolloutTenant,
        now: u64,
        marker: &str,
    ) -> bool {
        if now <= tenant.revision_before {
            return false;
        }
        if batch.revision_reason(&tenant.tenant).await.is_ok_and(|reason| reason.contains(marker)) {
            return true;
        }
        self.actions.unfinished().await.unwrap_or_default().iter().any(|entry| {
            entry.request.context == tenant.context
                && entry.request.tenant == tenant.tenant
                && entry.request.reason.contains(marker)
                && entry.revision_before == tenant.revision_before
        })
    }

    /// Marks the journal entries a cut-off or failed run of this rollout left for `request`'s
    /// tenant as finished by the action (`journal_id`) that has now done its work, so they are
    /// not offered to resume.
    async fn settle_cut_runs(&self, request: &ActionRequest, marker: &str, journal_id: i64) {
        let cache = self.actions.cache();
        for entry in self.actions.unfinished().await.unwrap_or_default() {
            let same = entry.request.context == request.context && entry.request.tenant == request.tenant;
            if same && entry.id != journal_id && entry.request.reason.contains(marker) {
                let message = format!("finished by action #{journal_id} when the rollout resumed");
                if let Err(error) =
                    cache.journal_finish(entry.id, tenantry_model::JournalState::Resumed, &message, &now()).await
                {
                    tracing::warn!(error = %crate::error::chain(&error), "a cut-off run's journal entry stays unfinished");
                }
            }
        }
    }

    /// Holds wave `wave`: once the fleet sees each converged tenant as its change leaves it —
    /// healthy, or suspended when no pod is wanted — (within [`CATCH_UP`]), it must stay so for
    /// the hold time; one that is not seen so, or leaves that state or sight during the hold,
    /// fails with the reason.
    async fn gate(
        &self,
        rollout: &mut Rollout,
        wave: usize,
        members: &[usize],
        progress: &mut (dyn FnMut(RolloutEvent) + Send),
    ) -> Result<(), RolloutError> {
        let ran: Vec<usize> =
            members.iter().copied().filter(|&p| rollout.tenants[p].state == TenantState::Converged).collect();
        if ran.is_empty() {
            return Ok(());
        }
        let hold = Duration::from_secs(rollout.settings.hold_seconds);
        progress(RolloutEvent::Holding { wave, seconds: hold.as_secs() });
        let unhealthy = |p: usize| -> Option<String> {
            let t = &rollout.tenants[p];
            match (self.health)(&t.context, &t.tenant) {
                Some((health, _)) if as_left(&t.change, health) => None,
                Some((health, reason)) => Some(format!("{} after the change: {reason}", health.name())),
                None => Some("not seen live after the change".to_owned()),
            }
        };
        let catching_up = Instant::now();
        let mut failing: BTreeMap<usize, String> = loop {
            let failing: BTreeMap<usize, String> =
                ran.iter().filter_map(|&p| unhealthy(p).map(|why| (p, why))).collect();
            if failing.is_empty() || catching_up.elapsed() >= CATCH_UP {
                break failing;
            }
            tokio::time::sleep(GATE_POLL).await;
        };
        let holding = Instant::now();
        while holding.elapsed() < hold {
            tokio::time::sleep(GATE_POLL.min(hold - holding.elapsed())).await;
            for &p in &ran {
                if !failing.contains_key(&p)
                    && let Some(why) = unhealthy(p)
                {
                    failing.insert(p, why);
                }
            }
        }
        for (position, why) in failing {
            let events = Mutex::new(Vec::new());
            self.record(rollout.id, position, TenantState::Failed, &why, &events).await;
            rollout.tenants[position].state = TenantState::Failed;
            rollout.tenants[position].message.clone_from(&why);
            progress(RolloutEvent::Tenant { position, state: TenantState::Failed, message: why });
        }
        Ok(())
    }

    /// Writes a tenant's state (a failed write is logged: the run goes on, the next write
    /// catches up) and queues its event.
    async fn record(
        &self,
        id: i64,
        position: usize,
        state: TenantState,
        message: &str,
        events: &Mutex<Vec<(usize, TenantState, String)>>,
    ) {
        if let Err(error) = self.actions.cache().rollout_set_tenant(id, position, state, message, &now()).await {
            tracing::warn!(rollout = id, position, error = %crate::error::chain(&error), "a rollout tenant's state was not written");
        }
        events.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((position, state, message.to_owned()));
    }

    async fn set_state(
        &self,
        rollout: &mut Rollout,
        state: RolloutState,
        message: &str,
        progress: &mut (dyn FnMut(RolloutEvent) + Send),
    ) -> Result<(), RolloutError> {
        self.actions.cache().rollout_set_state(rollout.id, state, message).await?;
        rollout.state = state;
        message.clone_into(&mut rollout.message);
        progress(RolloutEvent::State { state, message: message.to_owned() });
        Ok(())
    }
}

/// Where rollout `id` runs now when another live process runs it (`"process 123 on host"`).
pub async fn running_elsewhere(cache: &crate::cache::Cache, id: i64) -> Result<Option<String>, RolloutError> {
    let here = crate::actions::this_process();
    let Some((owner, heartbeat)) = cache.rollout_owner(id).await? else { return Ok(None) };
    let running = cache.rollout_state(id).await? == Some(RolloutState::Running);
    let elsewhere = running && owner != here && crate::actions::owner_alive(&here, &owner, &heartbeat);
    Ok(elsewhere.then(|| format!("process {} on {}", owner.pid, owner.host)))
}

/// What [`load`] says of a rollout whose runner went away.
const INTERRUPTED: &str = "interrupted: the process running it ended; resume to go on where it stopped";

/// Rollout `id` as it stands; one left `running` by a run that is gone (the app closed, the CLI
/// killed, the machine restarted: its heartbeat stopped) is recorded as paused where it stopped.
pub async fn load(cache: &crate::cache::Cache, id: i64) -> Result<Rollout, RolloutError> {
    let mut rollout = cache.rollout(id).await?.ok_or(RolloutError::Unknown(id))?;
    if rollout.state == RolloutState::Running {
        let here = crate::actions::this_process();
        let alive = cache
            .rollout_owner(id)
            .await?
            .is_some_and(|(owner, heartbeat)| crate::actions::owner_alive(&here, &owner, &heartbeat));
        if !alive {
            cache.rollout_set_state(id, RolloutState::Paused, INTERRUPTED).await?;
            rollout.state = RolloutState::Paused;
            INTERRUPTED.clone_into(&mut rollout.message);
        }
    }
    Ok(rollout)
}

/// Each skipped tenant with the reason, as `cluster/id: reason`.
/// Whether `health` is what `change` leaves a tenant in: healthy, or suspended (no pod wanted)
/// unless the change asked for pods to run.
fn as_left(change: &tenantry_model::Change, health: Health) -> bool {
    use tenantry_model::Change;
    let wants_pods = match change {
        Change::Resume | Change::Scale { replicas: Some(1..), .. } => true,
        Change::Scale { autoscaling: Some(bounds), .. } => bounds.min > 0,
        _ => false,
    };
    health == Health::Healthy || (health == Health::Suspended && !wants_pods)
}

fn skipped(tenants: &[tenantry_model::RolloutTenant]) -> Vec<String> {
    tenants.iter().map(|t| format!("{}/{}: {}", t.context, t.tenant, t.message)).collect()
}

/// Why `rollout` must stop for its failures, if it must: more than `max_failures` failed, or
/// more than `max_failure_percent` of the tenants attempted so far.
pub fn over_budget(rollout: &Rollout) -> Option<String> {
    let failed: Vec<&tenantry_model::RolloutTenant> =
        rollout.tenants.iter().filter(|t| t.state == TenantState::Failed).collect();
    let attempted = rollout.count(TenantState::Converged) + failed.len();
    let settings = &rollout.settings;
    let too_many = failed.len() > settings.max_failures;
    let too_large = attempted > 0 && failed.len() * 100 > usize::from(settings.max_failure_percent) * attempted;
    if failed.is_empty() || !(too_many || too_large) {
        return None;
    }
    let reasons: Vec<String> =
        failed.iter().take(5).map(|t| format!("{}/{}: {}", t.context, t.tenant, t.message)).collect();
    Some(format!(
        "stopped: {} of {attempted} tenants failed (the budget allows {} or {} %): {}",
        failed.len(),
        settings.max_failures,
        settings.max_failure_percent,
        reasons.join("; ")
    ))
}

/// One row of a rollout's report.
#[derive(serde::Serialize)]
struct ReportRow<'r> {
    cluster: &'r str,
    tenant: &'r str,
    wave: usize,
    before: &'r str,
    after: &'r str,
    result: &'static str,
    started: &'r str,
    finished: &'r str,
    message: &'r str,
}

/// The report of `rollout` as CSV: one row per tenant with before, after, result, when and why.
pub fn report_csv(rollout: &Rollout) -> Result<String, crate::audit::CsvError> {
    let rows: Vec<ReportRow<'_>> = rollout
        .tenants
        .iter()
        .map(|t| ReportRow {
            cluster: &t.context,
            tenant: &t.tenant,
            wave: t.wave,
            before: &t.before,
            after: &t.after,
            result: t.state.name(),
            started: t.started.as_deref().unwrap_or_default(),
            finished: t.finished.as_deref().unwrap_or_default(),
            message: &t.message,
        })
        .collect();
    crate::audit::to_csv(&rows)
}

#[cfg(test)]
mod tests {
    use tenantry_model::{Change, RolloutTenant};

    use super::*;

    fn tenant(state: TenantState) -> RolloutTenant {
        RolloutTenant {
            context: "eu".into(),
            tenant: "t".into(),
            wave: 0,
            change: Change::Restart { workload: None, stamp: None },
            revision_before: 1,
            before: "1 pods".into(),
            after: "=cmd|x".into(),
            state,
            message: "down after the change: 0 of 1 pods ready".into(),
            started: None,
            finished: None,
        }
    }

    fn rollout(states: &[TenantState], settings: RolloutSettings) -> Rollout {
        Rollout {
            id: 1,
            title: "restart".into(),
            reason: String::new(),
            by: "me".into(),
            created: "T".into(),
            settings,
            state: RolloutState::Running,
            message: String::new(),
            tenants: states.iter().map(|s| tenant(*s)).collect(),
        }
    }

    #[test]
    fn the_budget_stops_on_too_many_or_too_large_a_share_of_failures() {
        use TenantState::{Converged, Failed, Queued};
        let lenient = RolloutSettings { max_failures: 1, max_failure_percent: 50, ..RolloutSettings::default() };
        assert_eq!(over_budget(&rollout(&[Converged, Converged, Failed, Queued], lenient)), None);
        let stopped = over_budget(&rollout(&[Converged, Failed, Failed], lenient)).expect("stops");
        assert!(stopped.starts_with("stopped: 2 of 3 tenants failed") && stopped.contains("eu/t: down"), "{stopped}");
        let strict = RolloutSettings::default();
        assert!(
            over_budget(&rollout(&[Converged; 20].iter().copied().chain([Failed]).collect::<Vec<_>>(), strict))
                .is_some()
        );
        assert_eq!(over_budget(&rollout(&[Converged, Queued], strict)), None);
    }

    #[test]
    fn the_report_has_a_row_per_tenant_safe_for_spreadsheets() {
        let report = report_csv(&rollout(&[TenantState::Converged], RolloutSettings::default())).expect("csv");
        let lines: Vec<&str> = report.lines().collect();
        assert_eq!(lines[0], "cluster,tenant,wave,before,after,result,started,finished,message");
        assert!(lines[1].starts_with("eu,t,0,1 pods,'=cmd|x,converged"), "{}", lines[1]);
    }

    #[test]
    fn the_gate_takes_a_suspended_tenant_only_where_no_pod_is_wanted() {
        let scale = |n| Change::Scale { replicas: Some(n), autoscaling: None, workload: None };
        assert!(as_left(&Change::Suspend, Health::Suspended));
        assert!(as_left(&scale(0), Health::Suspended));
        assert!(as_left(&Change::version_update(Some("2".into())), Health::Suspended));
        assert!(!as_left(&Change::Resume, Health::Suspended));
        assert!(!as_left(&scale(2), Health::Suspended));
        let autoscaled = Change::Scale {
            replicas: None,
            autoscaling: Some(tenantry_model::Autoscaling { min: 2, max: 5 }),
            workload: None,
        };
        assert!(!as_left(&autoscaled, Health::Suspended));
        assert!(!as_left(&Change::Suspend, Health::Degraded));
        assert!(as_left(&Change::Resume, Health::Healthy));
    }
}
