//! Who runs an action: every journal entry names its owner (host, process id and that
//! process's start time) and the owner beats a heartbeat into it while the action runs. An
//! entry still `running` is running elsewhere while its owner lives and beats; once the owner is
//! gone (its process ended, or its heartbeat stopped, e.g. a run dropped mid-way) the entry is
//! orphaned and may be resumed or rolled back.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use tenantry_model::JournalState;

use crate::cache::{Cache, JournalOwner, OwnedEntry};
use crate::labels::now;

/// How often a running action's heartbeat is written.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);
/// A heartbeat older than this means the owner stopped running the entry.
pub const HEARTBEAT_STALE: Duration = Duration::from_secs(10);

/// This process as a journal entry's (or a rollout's) owner.
pub fn this_process() -> JournalOwner {
    let pid = std::process::id();
    JournalOwner { host: host(), pid, started: process_started(pid).unwrap_or_default() }
}

fn host() -> String {
    whoami::hostname().unwrap_or_else(|_| "unknown".to_owned())
}

/// When process `pid` started (field 22 of `/proc/PID/stat`, clock ticks since boot), or `None`
/// when there is no such process.
fn process_started(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces; fields after it split cleanly.
    let (_, after_name) = stat.rsplit_once(')')?;
    after_name.split_whitespace().nth(19).map(str::to_owned)
}

/// The journal entries this process runs now; each leaves the set when its run ends or is
/// dropped, and a background task beats their heartbeat.
#[derive(Clone)]
pub struct Running {
    /// This process as an owner, read once.
    here: JournalOwner,
    beating: Arc<Mutex<Beating>>,
}

/// The entries running here, and whether the heartbeat task runs.
#[derive(Default)]
struct Beating {
    ids: BTreeSet<i64>,
    task: bool,
}

impl Running {
    /// No entry running yet in this process.
    pub fn new() -> Self {
        Self { here: this_process(), beating: Arc::default() }
    }

    /// This process as a journal entry's owner.
    pub fn here(&self) -> &JournalOwner {
        &self.here
    }

    /// Marks entry `id` as running here until the returned guard is dropped; starts the
    /// heartbeat task on first use.
    pub fn enter(&self, cache: &Cache, id: i64) -> RunGuard {
        let mut beating = self.beating.lock().unwrap_or_else(PoisonError::into_inner);
        beating.ids.insert(id);
        if !beating.task {
            beating.task = true;
            tokio::spawn(beat(cache.clone(), Arc::downgrade(&self.beating)));
        }
        RunGuard { running: Arc::clone(&self.beating), id }
    }

    fn contains(&self, id: i64) -> bool {
        self.beating.lock().unwrap_or_else(PoisonError::into_inner).ids.contains(&id)
    }

    /// Where `owned` is running now, if it is (`"process 123 on host"`, or `"this window"`); `None`
    /// for an entry that ended or whose owner is gone.
    pub fn running_in(&self, owned: &OwnedEntry) -> Option<String> {
        if owned.entry.state != JournalState::Running {
            return None;
        }
        let here = &self.here;
        let owner = &owned.owner;
        if owner == here {
            return self.contains(owned.entry.id).then(|| "this process".to_owned());
        }
        owner_alive(here, owner, &owned.heartbeat).then(|| format!("process {} on {}", owner.pid, owner.host))
    }
}

/// Whether `owner` (another process than `here`) still runs what it beats `heartbeat` (RFC
/// 3339) into: the beat is fresh and, on this host, the process still lives.
pub fn owner_alive(here: &JournalOwner, owner: &JournalOwner, heartbeat: &str) -> bool {
    let beating = heartbeat
        .parse::<jiff::Timestamp>()
        .ok()
        .and_then(|beat| jiff::Timestamp::now().since(beat).ok())
        .and_then(|age| Duration::try_from(age).ok())
        .is_some_and(|age| age < HEARTBEAT_STALE);
    let alive = owner.host != here.host || process_started(owner.pid).as_deref() == Some(owner.started.as_str());
    beating && alive
}

/// Entry `id` running in this process; leaves the running set when dropped.
pub struct RunGuard {
    running: Arc<Mutex<Beating>>,
    id: i64,
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        self.running.lock().unwrap_or_else(PoisonError::into_inner).ids.remove(&self.id);
    }
}

/// Writes the heartbeat of every entry in `running` until none is left.
async fn beat(cache: Cache, running: Weak<Mutex<Beating>>) {
    loop {
        let ids: Vec<i64> = {
            let Some(running) = running.upgrade() else { return };
            let mut beating = running.lock().unwrap_or_else(PoisonError::into_inner);
            if beating.ids.is_empty() {
                beating.task = false;
                return;
            }
            beating.ids.iter().copied().collect()
        };
        if let Err(error) = cache.journal_heartbeat(&ids, &now()).await {
            tracing::warn!(error = %crate::error::chain(&error), "cannot write the journal heartbeat");
        }
        tokio::time::sleep(HEARTBEAT_EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_a_start_time_and_a_dead_pid_has_none() {
        let here = this_process();
        assert!(!here.started.is_empty());
        assert_eq!(process_started(here.pid), Some(here.started));
        assert_eq!(process_started(u32::MAX), None);
    }
}
