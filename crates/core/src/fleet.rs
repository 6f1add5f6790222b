//! The fleet: every watched cluster's inventory and connection merged into one set of tenant
//! rows, served from the cache at once and then live as each cluster syncs; published to any
//! number of subscribers as a snapshot followed by batched diffs, and written behind to the
//! cache.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures::{FutureExt as _, StreamExt as _};
use tenantry_model::{
    ClusterStatus, ConnectionState, ErrorKind, FleetEvent, Freshness, LogEvent, LogRequest, TenantChanges,
    TenantDetail, TenantSummary, UiError,
};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::cache::{Cache, CacheWriter, SeenTenant, Write};
use crate::inventory::ClusterInventory;
use crate::inventory::first_listings::FirstListings;
use crate::inventory::touched::Scope;
use crate::kubeconfig::ContextEntry;
use crate::labels::now;
use crate::logs::LogError;
use crate::tenancy::TenancyRules;

/// Batches kept for a subscriber that falls behind (it then gets a fresh snapshot).
const BACKLOG: usize = 256;
/// Health changes shown in a tenant's detail.
const HISTORY_SHOWN: u32 = 100;
/// How long a timeline waits for its cluster's answers before it shows the cache's.
pub const TIMELINE_TIMEOUT: Duration = Duration::from_secs(10);
/// Tenants named per cluster when a draft of the tenancy rules is checked.
const EXAMPLES_SHOWN: usize = 5;
/// How long cached rows hold the watches back for a window that has not said it shows them.
pub const SHOWN_BOUND: Duration = Duration::from_secs(3);

/// How the fleet batches and remembers, and which namespaces are tenants.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a change waits for the events that come with it before a pass over the
    /// cluster's rows looks for what changed.
    pub gather: Duration,
    /// The shortest time between two published batches of one cluster's changes, however busy
    /// it is.
    pub batch: Duration,
    /// How often a live cluster's "last live" time is written to the cache.
    pub heartbeat: Duration,
    /// The tenancy rules.
    pub tenancy: Arc<TenancyRules>,
    /// The first listings of the fleet's clusters, which hold their details back.
    pub first_listings: FirstListings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            gather: Duration::from_millis(25),
            batch: Duration::from_millis(150),
            heartbeat: Duration::from_secs(30),
            tenancy: Arc::new(TenancyRules::default()),
            first_listings: FirstListings::default(),
        }
    }
}

impl Settings {
    /// The default settings with the tenancy rules of the config folder, and what is wrong with
    /// that file when it is broken (the last rules that loaded are in force then).
    pub fn configured() -> (Self, Option<crate::tenancy::TenancyError>) {
        let (rules, problem) =
            TenancyRules::load_or_last_good(&crate::paths::tenancy_file(), &crate::paths::tenancy_last_good());
        (Self { tenancy: Arc::new(rules), ..Self::default() }, problem)
    }
}

/// The watched fleet; dropping it stops every watch.
pub struct Fleet {
    shared: Arc<Shared>,
    settings: Mutex<Settings>,
    /// One watch task per context, with the context it watches.
    drivers: Mutex<HashMap<String, (ContextEntry, JoinHandle<()>)>>,
}

struct Shared {
    state: Mutex<State>,
    events: broadcast::Sender<FleetEvent>,
    inventories: Mutex<HashMap<String, Arc<ClusterInventory>>>,
    cache: Option<Cache>,
    writer: Mutex<Option<CacheWriter>>,
}

#[derive(Default)]
struct State {
    clusters: BTreeMap<String, ClusterStatus>,
    /// Every row, shared with the batches that carried it and each cluster's last sent rows.
    tenants: BTreeMap<(String, String), Arc<TenantSummary>>,
    notice: Option<UiError>,
}

impl Fleet {
    /// Serves the cache at `cache_path` (if given; a damaged one is rebuilt, an unusable one
    /// skipped, both with a notice), then starts watching `entries`, each cluster on its own.
    pub async fn start(entries: Vec<ContextEntry>, cache_path: Option<&Path>, settings: Settings) -> Self {
        Self::start_once_shown(entries, cache_path, settings, std::future::ready(())).await
    }

    /// As [`Self::start`], but with cached rows to show the clusters are watched only once
    /// `shown` completes (a window has the rows on screen) or [`SHOWN_BOUND`] has passed: the
    /// first listings of ten clusters would otherwise take the cores a window needs to come up.
    pub async fn start_once_shown(
        entries: Vec<ContextEntry>,
        cache_path: Option<&Path>,
        settings: Settings,
        shown: impl Future<Output = ()> + Send + 'static,
    ) -> Self {
        let (cache, notice) = match cache_path {
            Some(path) => open_cache(path).await,
            None => (None, None),
        };
        let mut state = State { notice, ..State::default() };
        if let Some(cache) = &cache {
            load_cached(cache, &entries, &mut state).await;
        }
        for entry in &entries {
            let cached = state.clusters.remove(&entry.name);
            state.clusters.insert(
                entry.name.clone(),
                ClusterStatus {
                    context: entry.name.clone(),
                    state: ConnectionState::Connecting,
                    last_error: None,
                    last_live: cached.and_then(|c| c.last_live),
                    notes: Vec::new(),
                },
            );
        }
        let held = !state.tenants.is_empty();
        let watching = async move {
            if held {
                let _ = tokio::time::timeout(SHOWN_BOUND, shown).await;
            }
        }
        .boxed()
        .shared();
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            events: broadcast::channel(BACKLOG).0,
            inventories: Mutex::new(HashMap::new()),
            writer: Mutex::new(cache.as_ref().map(Cache::writer)),
            cache,
        });
        let drivers = entries
            .into_iter()
            .map(|entry| {
                let (watching, shared, settings) = (watching.clone(), Arc::clone(&shared), settings.clone());
                let drive = drive(entry.clone(), shared, settings);
                let driver = tokio::spawn(async move {
                    watching.await;
                    drive.await;
                });
                (entry.name.clone(), (entry, driver))
            })
            .collect();
        Self { shared, settings: Mutex::new(settings), drivers: Mutex::new(drivers) }
    }

    /// The contexts being watched, by name.
    pub fn watched(&self) -> Vec<String> {
        lock(&self.drivers).keys().cloned().collect()
    }

    /// Starts watching one more cluster (one just added), as `start` does for each.
    pub fn watch(&self, entry: ContextEntry) {
        let status = ClusterStatus {
            context: entry.name.clone(),
            state: ConnectionState::Connecting,
            last_error: None,
            last_live: None,
            notes: Vec::new(),
        };
        self.shared.publish(FleetEvent::Cluster(status));
        let name = entry.name.clone();
        let settings = lock(&self.settings).clone();
        let driver = tokio::spawn(drive(entry.clone(), Arc::clone(&self.shared), settings));
        if let Some((_, previous)) = lock(&self.drivers).insert(name, (entry, driver)) {
            previous.abort();
        }
    }

    /// Watches exactly `entries` (the user's choice or the kubeconfig changed): starts those not
    /// watched yet and those whose connection changed (a renewed certificate, another token),
    /// and stops the others, whose tenants stay as last seen, marked as not watched.
    pub fn follow(&self, entries: Vec<ContextEntry>) {
        let watched: HashMap<String, String> =
            lock(&self.drivers).iter().map(|(name, (entry, _))| (name.clone(), entry.fingerprint())).collect();
        for context in watched.keys().filter(|context| !entries.iter().any(|e| &e.name == *context)) {
            self.unwatch(context);
        }
        for entry in entries {
            if watched.get(&entry.name) != Some(&entry.fingerprint()) {
                self.watch(entry);
            }
        }
    }

    /// Makes `rules` the tenancy rules: every cluster is watched again under them, so tenants
    /// they no longer make leave the fleet and new ones join.
    pub fn set_tenancy(&self, rules: Arc<TenancyRules>) {
        lock(&self.settings).tenancy = rules;
        let entries: Vec<ContextEntry> = lock(&self.drivers).values().map(|(entry, _)| entry.clone()).collect();
        for entry in entries {
            self.watch(entry);
        }
    }

    /// What `rules` would make of each watched cluster's namespaces (listed afresh, each within
    /// `timeout`, through the cluster's watch client), by cluster name.
    pub async fn tenancy_matches(&self, rules: &TenancyRules, timeout: Duration) -> Vec<tenantry_model::TenancyMatch> {
        let mut entries: Vec<ContextEntry> = lock(&self.drivers).values().map(|(entry, _)| entry.clone()).collect();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        // Through the watches' clients where they run: no credential plugin runs again per check.
        let inventories = lock(&self.shared.inventories).clone();
        let listings = entries.iter().map(|entry| {
            let inventory = inventories.get(&entry.name).cloned();
            async move {
                match inventory {
                    Some(inventory) => inventory.namespaces(timeout).await,
                    None => crate::inventory::namespaces(entry, timeout).await,
                }
            }
        });
        let listed = futures::future::join_all(listings).await;
        entries
            .iter()
            .zip(listed)
            .map(|(entry, namespaces)| match namespaces {
                Ok(namespaces) => {
                    let tally = rules.tally(&entry.name, &namespaces);
                    tenantry_model::TenancyMatch {
                        cluster: entry.name.clone(),
                        tenants: u32::try_from(tally.tenants.len()).unwrap_or(u32::MAX),
                        excluded: tally.excluded,
                        others: tally.others,
                        examples: tally.tenants.into_iter().take(EXAMPLES_SHOWN).collect(),
                        error: None,
                    }
                }
                Err(error) => tenantry_model::TenancyMatch {
                    cluster: entry.name.clone(),
                    tenants: 0,
                    excluded: 0,
                    others: 0,
                    examples: Vec::new(),
                    error: Some(error.to_ui()),
                },
            })
            .collect()
    }

    /// Stops watching `context` (a cluster just removed); its tenants stay as last seen, the
    /// cluster marked as no longer configured — as at a start without it.
    pub fn unwatch(&self, context: &str) {
        if let Some((_, driver)) = lock(&self.drivers).remove(context) {
            driver.abort();
        }
        lock(&self.shared.inventories).remove(context);
        let status = lock(&self.shared.state).clusters.get(context).cloned();
        if let Some(mut status) = status {
            status.state = ConnectionState::NotWatched;
            status.last_error = Some(not_configured());
            self.shared.publish(FleetEvent::Cluster(status));
        }
    }

    /// Everything known now, then every change as it is published. A subscriber that falls
    /// far behind gets a fresh snapshot instead of the batches it missed.
    pub fn subscribe(&self) -> impl futures::Stream<Item = FleetEvent> + Send + 'static {
        let (first, receiver) = {
            let state = lock(&self.shared.state);
            (snapshot(&state), self.shared.events.subscribe())
        };
        let shared = Arc::clone(&self.shared);
        let rest = futures::stream::unfold((receiver, shared), |(mut receiver, shared)| async move {
            match receiver.recv().await {
                Ok(event) => Some((event, (receiver, shared))),
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let (event, fresh) = {
                        let state = lock(&shared.state);
                        (snapshot(&state), shared.events.subscribe())
                    };
                    Some((event, (fresh, shared)))
                }
                Err(broadcast::error::RecvError::Closed) => None,
            }
        });
        futures::stream::once(async move { first }).chain(rest)
    }

    /// Every tenant row now (cached, stale or live), by cluster and id.
    pub fn tenants(&self) -> Vec<TenantSummary> {
        lock(&self.shared.state).tenants.values().map(|row| TenantSummary::clone(row)).collect()
    }

    /// What `read` makes of every tenant row now, read in place (no copy of the rows; the
    /// fleet waits while `read` runs, so it must be quick).
    pub fn read_tenants<R>(&self, read: impl FnOnce(&mut dyn Iterator<Item = &TenantSummary>) -> R) -> R {
        let state = lock(&self.shared.state);
        read(&mut state.tenants.values().map(|row| &**row))
    }

    /// Every cluster's status now, by context.
    pub fn clusters(&self) -> Vec<ClusterStatus> {
        lock(&self.shared.state).clusters.values().cloned().collect()
    }

    /// What the user should know about the cache, if anything.
    pub fn notice(&self) -> Option<UiError> {
        lock(&self.shared.state).notice.clone()
    }

    /// Waits until no watched cluster is still connecting for the first time, or `timeout`.
    pub async fn settled(&self, timeout: Duration) {
        let mut events = std::pin::pin!(self.subscribe());
        let wait = async {
            loop {
                let connecting =
                    lock(&self.shared.state).clusters.values().any(|c| c.state == ConnectionState::Connecting);
                if !connecting || events.next().await.is_none() {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(timeout, wait).await;
    }

    /// Tenant `cluster`/`id` in detail: live pods, events and backups while its cluster is
    /// watched, its row as the fleet shows it (possibly stale or cached), and its health history
    /// from the cache. `None` when the fleet does not know the tenant.
    pub async fn detail(&self, cluster: &str, id: &str) -> Option<TenantDetail> {
        let mut detail = self.watched_detail(cluster, id)?;
        if let Some(cache) = &self.shared.cache {
            match cache.history(cluster, id, HISTORY_SHOWN).await {
                Ok(history) => detail.history = history,
                Err(err) => tracing::warn!(error = %crate::error::chain(&err), "health history unavailable"),
            }
        }
        Some(detail)
    }

    /// Tenant `cluster`/`id` as its cluster's stores hold it now (its row alone while the cluster
    /// is not watched), without the cache's health history.
    fn watched_detail(&self, cluster: &str, id: &str) -> Option<TenantDetail> {
        let row = TenantSummary::clone(lock(&self.shared.state).tenants.get(&(cluster.to_owned(), id.to_owned()))?);
        let inventory = lock(&self.shared.inventories).get(cluster).cloned();
        Some(match inventory {
            Some(inventory) => inventory.detail(row),
            None => TenantDetail::row_only(row),
        })
    }

    /// The logs of tenant `cluster`/`id` as `request` says, read through its cluster's watch
    /// client (no credential plugin runs again); refused with the permission the identity lacks.
    pub async fn logs(
        &self,
        cluster: &str,
        id: &str,
        request: &LogRequest,
    ) -> Result<impl futures::Stream<Item = LogEvent> + Send + 'static, LogError> {
        let client = self.client(cluster)?;
        let detail = self.watched_detail(cluster, id).ok_or_else(|| LogError::UnknownTenant(id.to_owned()))?;
        let sources = crate::logs::sources(&detail.pods, request)?;
        if let Some(missing) = crate::logs::missing_permission(&client, id).await? {
            return Err(LogError::Forbidden(missing));
        }
        Ok(crate::logs::read(client, id, sources, request))
    }

    /// The permission reading tenant `cluster`/`id`'s logs needs, when its identity lacks it.
    pub async fn log_access(&self, cluster: &str, id: &str) -> Result<Option<String>, LogError> {
        crate::logs::missing_permission(&self.client(cluster)?, id).await
    }

    /// Tenant `cluster`/`id`'s timeline: read from its cluster too while it is live (within
    /// [`TIMELINE_TIMEOUT`]), else from the cache alone; `None` when the fleet does not know it.
    pub async fn timeline(&self, cluster: &str, id: &str) -> Option<tenantry_model::Timeline> {
        let detail = self.detail(cluster, id).await?;
        Some(self.timeline_of(cluster, id, &detail).await)
    }

    /// The timeline of tenant `cluster`/`id` whose `detail` was just read.
    async fn timeline_of(&self, cluster: &str, id: &str, detail: &TenantDetail) -> tenantry_model::Timeline {
        let inventory = lock(&self.shared.inventories).get(cluster).cloned().filter(|i| i.is_live());
        let live = match inventory {
            Some(inventory) => {
                let client = inventory.client();
                let read = crate::timeline::live(&client, id, &detail.backups);
                tokio::time::timeout(TIMELINE_TIMEOUT, read).await.ok()
            }
            None => None,
        };
        crate::timeline::assemble(self.shared.cache.as_ref(), cluster, id, live).await
    }

    /// Writes tenant `cluster`/`id`'s escalation bundle into `folder`: read from its cluster
    /// while it is live, else what the cache remembers.
    pub async fn bundle(
        &self,
        cluster: &str,
        id: &str,
        folder: &Path,
    ) -> Result<tenantry_model::BundleReport, crate::bundle::BundleError> {
        let unknown = || crate::bundle::BundleError::UnknownTenant(id.to_owned());
        let detail = self.detail(cluster, id).await.ok_or_else(unknown)?;
        let timeline = self.timeline_of(cluster, id, &detail).await;
        let audit = match &self.shared.cache {
            Some(cache) => cache.audit_log().await.unwrap_or_default(),
            None => Vec::new(),
        };
        let audit = audit.into_iter().filter(|a| a.context == cluster && a.tenant == id).collect();
        let inventory = lock(&self.shared.inventories).get(cluster).cloned().filter(|i| i.is_live());
        let spec = match (&inventory, &self.shared.cache) {
            (Some(inventory), _) => inventory.spec_text(id),
            (None, Some(cache)) => cache.latest_spec(cluster, id).await.ok().flatten(),
            (None, None) => None,
        };
        let client = inventory.map(|i| i.client());
        let sources = crate::bundle::Sources { cluster: cluster.to_owned(), detail, timeline, audit, spec };
        crate::bundle::write(client.as_ref(), sources, folder).await
    }

    /// The fleet as the window last saw it and when (see [`Fleet::remember_looked`]); `None`
    /// the first time or without a cache.
    pub async fn looked(&self) -> Option<(String, Vec<crate::cache::LookedRow>)> {
        let cache = self.shared.cache.as_ref()?;
        cache.looked().await.unwrap_or_else(|error| {
            tracing::warn!(error = %crate::error::chain(&error), "the last look cannot be read");
            None
        })
    }

    /// Remembers the fleet's rows now as what the window saw, for the next "since you last
    /// looked".
    pub async fn remember_looked(&self) {
        let Some(cache) = &self.shared.cache else { return };
        if let Err(error) = cache.remember_looked(&now(), &crate::looked::snapshot(&self.tenants())).await {
            tracing::warn!(error = %crate::error::chain(&error), "the look cannot be remembered");
        }
    }

    /// Tenant `cluster`/`id`'s health and reason while its row is live (what a rollout's gate
    /// judges); `None` otherwise.
    pub fn live_health(&self, cluster: &str, id: &str) -> Option<(tenantry_model::Health, String)> {
        let state = lock(&self.shared.state);
        let row = state.tenants.get(&(cluster.to_owned(), id.to_owned()))?;
        row.freshness.is_live().then(|| (row.health, row.reason.clone()))
    }

    /// Runs cluster `cluster`'s background drift sweep now, so its rows' drift marks follow a
    /// repair or a hand edit without waiting for the next interval.
    pub fn recheck_drift(&self, cluster: &str) {
        if let Some(inventory) = lock(&self.shared.inventories).get(cluster) {
            inventory.recheck_drift();
        }
    }

    fn client(&self, cluster: &str) -> Result<kube::Client, LogError> {
        let inventory = lock(&self.shared.inventories).get(cluster).cloned();
        inventory.map(|i| i.client()).ok_or_else(|| LogError::NotConnected(cluster.to_owned()))
    }

    /// Stops the watches and writes everything queued to the cache.
    pub async fn shutdown(self) {
        self.close().await;
    }

    /// Stops the watches, writes everything queued to the cache and closes it (its files
    /// flushed), leaving the fleet in place: for a process about to exit.
    pub async fn close(&self) {
        for (_, driver) in lock(&self.drivers).values() {
            driver.abort();
        }
        let writer = lock(&self.shared.writer).take();
        if let Some(writer) = writer {
            writer.finish().await;
        }
        if let Some(cache) = &self.shared.cache {
            cache.close().await;
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for (_, driver) in lock(&self.drivers).values() {
            driver.abort();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn snapshot(state: &State) -> FleetEvent {
    FleetEvent::Snapshot {
        clusters: state.clusters.values().cloned().collect(),
        tenants: state.tenants.values().cloned().collect(),
        notice: state.notice.clone(),
        more: 0,
    }
}

async fn open_cache(path: &Path) -> (Option<Cache>, Option<UiError>) {
    match Cache::open(path).await {
        Ok(opened) => (Some(opened.cache), opened.notice),
        Err(err) => {
            tracing::warn!(error = %crate::error::chain(&err), "working without the cache");
            let notice = UiError {
                kind: ErrorKind::Cache,
                message: "The local cache cannot be used, so nothing is remembered for offline review this time."
                    .into(),
                detail: crate::error::chain(&err),
            };
            (None, Some(notice))
        }
    }
}

/// Fills `state` with the cached tenants and cluster statuses. Clusters that are cached but not
/// watched now (turned off, or no longer configured) keep their rows, marked not watched, with a
/// note saying why; one without cached rows is left out.
async fn load_cached(cache: &Cache, entries: &[ContextEntry], state: &mut State) {
    let (tenants, clusters) = match (cache.tenants().await, cache.clusters().await) {
        (Ok(tenants), Ok(clusters)) => (tenants, clusters),
        (Err(err), _) | (_, Err(err)) => {
            tracing::warn!(error = %crate::error::chain(&err), "the cache cannot be read; starting empty");
            return;
        }
    };
    let with_rows: HashSet<String> = tenants.iter().map(|t| t.cluster.clone()).collect();
    for tenant in tenants {
        state.tenants.insert((tenant.cluster.clone(), tenant.id.clone()), Arc::new(tenant));
    }
    for mut status in clusters {
        if !entries.iter().any(|e| e.name == status.context) {
            if !with_rows.contains(&status.context) {
                continue;
            }
            status.state = ConnectionState::NotWatched;
            status.last_error = Some(not_configured());
        }
        state.clusters.insert(status.context.clone(), status);
    }
}

/// Why a cached cluster is not watched: the user turned it off, or neither the kubeconfig nor
/// Tenantry's added clusters have it any more.
fn not_configured() -> UiError {
    UiError {
        kind: ErrorKind::BadKubeconfig,
        message:
            "This cluster is not watched: turned off in the Clusters view, or no longer configured (kubeconfig or added clusters); its tenants are shown as last cached."
                .into(),
        detail: String::new(),
    }
}

impl Shared {
    /// Applies `event` to the state and sends it to every subscriber, in one step so that a
    /// new subscriber's snapshot and its first event never overlap or leave a gap.
    fn publish(&self, event: FleetEvent) {
        let mut state = lock(&self.state);
        match &event {
            FleetEvent::Changes(changes) => {
                for tenant in &changes.upserted {
                    state.tenants.insert((tenant.cluster.clone(), tenant.id.clone()), Arc::clone(tenant));
                }
                for key in &changes.removed {
                    state.tenants.remove(key);
                }
            }
            FleetEvent::Cluster(status) => {
                state.clusters.insert(status.context.clone(), status.clone());
            }
            FleetEvent::Snapshot { .. } => {}
        }
        let _ = self.events.send(event);
    }

    fn cache_write(&self, write: Write) {
        if let Some(writer) = lock(&self.writer).as_ref() {
            writer.send(write);
        }
    }

    fn rows_of(&self, cluster: &str) -> HashMap<String, Arc<TenantSummary>> {
        let state = lock(&self.state);
        state.tenants.values().filter(|t| t.cluster == cluster).map(|t| (t.id.clone(), Arc::clone(t))).collect()
    }
}

/// Watches one cluster for as long as the fleet lives: publishes its connection changes and,
/// after each burst of watch events, the rows that changed (live while it is live, stale with
/// the time last seen once it was live and is no longer; cached rows stay until it first syncs).
async fn drive(entry: ContextEntry, shared: Arc<Shared>, settings: Settings) {
    let context = entry.name.clone();
    let inventory =
        match ClusterInventory::start_in(&entry, Arc::clone(&settings.tenancy), &settings.first_listings).await {
            Ok(inventory) => Arc::new(inventory),
            Err(err) => {
                tracing::warn!(context = %context, error = %crate::error::chain(&err), "tenants cannot be watched");
                let mut status = lock(&shared.state).clusters.get(&context).cloned().unwrap_or_else(|| ClusterStatus {
                    context: context.clone(),
                    state: ConnectionState::Unreachable,
                    last_error: None,
                    last_live: None,
                    notes: Vec::new(),
                });
                status.state = ConnectionState::Unreachable;
                status.last_error = Some(err.to_ui());
                shared.publish(FleetEvent::Cluster(status));
                return;
            }
        };
    lock(&shared.inventories).insert(context.clone(), Arc::clone(&inventory));
    let mut sent = shared.rows_of(&context);
    let mut published = lock(&shared.state).clusters.get(&context).cloned();
    let mut was_live = false;
    // Whether `sent` holds every live row as of the last pass, so that a pass need only build
    // the rows touched since.
    let mut sent_live = false;
    let mut pace = Pace::default();
    let mut heartbeat = tokio::time::interval(settings.heartbeat);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let beat = tokio::select! {
            () = inventory.changed() => {
                // The first complete listing is published at once; later changes are batched.
                if was_live || !inventory.is_live() {
                    tokio::time::sleep_until(pace.next_pass(Instant::now(), &settings)).await;
                }
                false
            }
            _ = heartbeat.tick() => true,
        };
        let pass_started = Instant::now();
        let mut status = inventory.status();
        if status.last_live.is_none() {
            status.last_live = published.as_ref().and_then(|p| p.last_live.clone());
        }
        let at = now();
        let touched = inventory.take_touched();
        let changes = match (&status.state, &status.last_live) {
            (ConnectionState::Live, _) => {
                was_live = true;
                Some(match touched {
                    Scope::Namespaces(names) if sent_live => {
                        diff_in(&context, &mut sent, &names, inventory.summaries_in(&names))
                    }
                    _ => diff(&context, &mut sent, inventory.summaries()),
                })
            }
            (_, Some(last_seen)) if was_live => {
                Some(diff(&context, &mut sent, stale(inventory.summaries(), last_seen)))
            }
            _ => None,
        };
        sent_live = status.state == ConnectionState::Live;
        // Rows before the status, so that whoever sees a cluster live already has its rows.
        let changes = changes.filter(|changes| !changes.is_empty());
        if let Some(changes) = changes {
            if status.state == ConnectionState::Live {
                let seen = changes
                    .upserted
                    .iter()
                    .map(|summary| SeenTenant { summary: Arc::clone(summary), spec: inventory.spec_text(&summary.id) })
                    .collect();
                let removed = changes.removed.iter().map(|(_, id)| id.clone()).collect();
                shared.cache_write(Write::Tenants { cluster: context.clone(), seen, removed, at: at.clone() });
            }
            shared.publish(FleetEvent::Changes(changes));
            pace.published(pass_started);
        }
        if published.as_ref() != Some(&status) {
            shared.publish(FleetEvent::Cluster(status.clone()));
            shared.cache_write(Write::Cluster { status: status.clone(), at });
            published = Some(status);
        } else if beat && status.state == ConnectionState::Live {
            shared.cache_write(Write::Cluster { status, at });
        }
    }
}

/// When one cluster's last batch of changes was published: a change to a quiet cluster goes
/// out after the gather, while a busy one publishes at most one batch per `batch`. Passes that
/// found nothing new (the controllers echoing a change already sent) do not hold the next
/// change back.
#[derive(Debug, Default)]
struct Pace {
    last_published: Option<Instant>,
}

impl Pace {
    /// When the next pass runs, a change having come in at `now`: `gather` later, and not
    /// within `batch` of the pass that published the last batch.
    fn next_pass(&self, now: Instant, settings: &Settings) -> Instant {
        let gathered = now + settings.gather;
        self.last_published.map_or(gathered, |at| gathered.max(at + settings.batch))
    }

    /// The pass that started at `at` published a batch.
    fn published(&mut self, at: Instant) {
        self.last_published = Some(at);
    }
}

/// `rows` marked stale, last seen at `last_seen`.
fn stale(mut rows: Vec<TenantSummary>, last_seen: &str) -> Vec<TenantSummary> {
    for row in &mut rows {
        row.freshness = Freshness::Stale { last_seen: last_seen.to_owned() };
    }
    rows
}

/// What changed between `sent` and `now`; `sent` becomes `now`, keeping the rows it already
/// had where they did not change (so a burst allocates only the rows it changed).
fn diff(cluster: &str, sent: &mut HashMap<String, Arc<TenantSummary>>, now: Vec<TenantSummary>) -> TenantChanges {
    let mut changes = TenantChanges { cluster: cluster.to_owned(), ..Default::default() };
    let mut next = HashMap::with_capacity(now.len());
    for summary in now {
        let row = match sent.remove(&summary.id) {
            Some(before) if *before == summary => before,
            _ => {
                let row = Arc::new(summary);
                changes.upserted.push(Arc::clone(&row));
                row
            }
        };
        next.insert(row.id.clone(), row);
    }
    changes.removed = sent.drain().map(|(id, row)| (row.cluster.clone(), id)).collect();
    changes.upserted.sort_by(|a, b| a.id.cmp(&b.id));
    changes.removed.sort();
    *sent = next;
    changes
}

/// What changed among the rows of namespaces `names`, whose rows are now `now` (those of them
/// that are tenants); `sent` takes them in and keeps every other row as it was.
fn diff_in(
    cluster: &str,
    sent: &mut HashMap<String, Arc<TenantSummary>>,
    names: &HashSet<String>,
    now: Vec<TenantSummary>,
) -> TenantChanges {
    let mut changes = TenantChanges { cluster: cluster.to_owned(), ..Default::default() };
    let mut still: HashSet<String> = HashSet::with_capacity(now.len());
    for summary in now {
        still.insert(summary.id.clone());
        if sent.get(&summary.id).is_some_and(|before| **before == summary) {
            continue;
        }
        let row = Arc::new(summary);
        sent.insert(row.id.clone(), Arc::clone(&row));
        changes.upserted.push(row);
    }
    for name in names.iter().filter(|name| !still.contains(*name)) {
        if let Some(row) = sent.remove(name) {
            changes.removed.push((row.cluster.clone(), name.clone()));
        }
    }
    changes.upserted.sort_by(|a, b| a.id.cmp(&b.id));
    changes.removed.sort();
    changes
}

#[cfg(test)]
mod tests {
    use tenantry_model::Health;

    use super::*;

    fn summary(id: &str, health: Health) -> TenantSummary {
        TenantSummary {
            id: id.into(),
            cluster: "c".into(),
            health,
            revision: 1,
            freshness: Freshness::Live,
            ..TenantSummary::default()
        }
    }

    #[test]
    fn diff_sends_only_what_changed_and_what_left() {
        let mut sent = HashMap::new();
        let first = diff("c", &mut sent, vec![summary("a", Health::Healthy), summary("b", Health::Healthy)]);
        assert_eq!(first.upserted.len(), 2);
        let second = diff(
            "c",
            &mut sent,
            vec![summary("a", Health::Healthy), summary("b", Health::Down), summary("c", Health::Unknown)],
        );
        let ids: Vec<&str> = second.upserted.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, vec!["b", "c"]);
        assert!(second.removed.is_empty());
        let third = diff("c", &mut sent, vec![summary("b", Health::Down)]);
        assert!(third.upserted.is_empty());
        assert_eq!(third.removed, vec![("c".to_owned(), "a".to_owned()), ("c".to_owned(), "c".to_owned())]);
        assert!(diff("c", &mut sent, vec![summary("b", Health::Down)]).is_empty());
    }

    #[test]
    fn a_change_to_a_quiet_cluster_goes_out_after_the_gather_a_busy_one_waits_for_its_batch() {
        let settings = Settings::default();
        let (gather, batch) = (settings.gather, settings.batch);
        let start = Instant::now();
        let mut pace = Pace::default();
        assert_eq!(pace.next_pass(start, &settings), start + gather, "never published");
        pace.published(start + gather);
        let soon = start + gather + Duration::from_millis(10);
        assert_eq!(pace.next_pass(soon, &settings), start + gather + batch, "busy: one batch per batch time");
        let echo = start + gather + batch + Duration::from_millis(5);
        assert_eq!(
            pace.next_pass(echo, &settings),
            start + 2 * gather + batch + Duration::from_millis(5),
            "past the batch time, only the gather"
        );
        let later = start + Duration::from_secs(5);
        assert_eq!(pace.next_pass(later, &settings), later + gather, "quiet again");
    }

    #[test]
    fn a_pass_over_touched_namespaces_sends_their_changes_and_keeps_every_other_row() {
        let mut sent = HashMap::new();
        diff("c", &mut sent, vec![summary("a", Health::Healthy), summary("b", Health::Healthy)]);
        let names = |list: &[&str]| list.iter().map(|name| (*name).to_owned()).collect::<HashSet<String>>();
        let changed = diff_in("c", &mut sent, &names(&["a", "n"]), vec![summary("a", Health::Down)]);
        let ids: Vec<&str> = changed.upserted.iter().map(|s| s.id.as_str()).collect();
        assert_eq!((ids, changed.removed.len()), (vec!["a"], 0), "a namespace that is no tenant sends nothing");
        assert_eq!(sent.get("b").map(|row| row.health), Some(Health::Healthy), "an untouched row stays");
        assert!(diff_in("c", &mut sent, &names(&["a"]), vec![summary("a", Health::Down)]).is_empty(), "unchanged");
        let gone = diff_in("c", &mut sent, &names(&["b"]), Vec::new());
        assert_eq!(gone.removed, vec![("c".to_owned(), "b".to_owned())]);
        let rows: Vec<&str> = {
            let mut ids: Vec<&str> = sent.keys().map(String::as_str).collect();
            ids.sort_unstable();
            ids
        };
        assert_eq!(rows, ["a"]);
        assert!(diff_in("c", &mut sent, &names(&[]), Vec::new()).is_empty(), "nothing touched");
    }

    #[test]
    fn rows_turn_stale_with_the_time_last_seen() {
        let rows = stale(vec![summary("a", Health::Healthy)], "2026-11-21T10:00:00Z");
        assert_eq!(rows[0].freshness, Freshness::Stale { last_seen: "2026-11-21T10:00:00Z".into() });
        let mut sent = HashMap::new();
        diff("c", &mut sent, vec![summary("a", Health::Healthy)]);
        assert_eq!(diff("c", &mut sent, rows).upserted.len(), 1, "going stale is a change the UI must see");
    }

    fn status(context: &str, state: ConnectionState) -> ClusterStatus {
        ClusterStatus { context: context.into(), state, last_error: None, last_live: None, notes: Vec::new() }
    }

    #[tokio::test]
    async fn a_cached_cluster_not_watched_is_shown_only_with_its_cached_rows_and_never_tried() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("cache.sqlite");
        let opened = Cache::open(&path).await.expect("a new cache");
        let writer = opened.cache.writer();
        let at = "2026-11-20T08:00:00Z".to_owned();
        writer.send(Write::Cluster { status: status("empty", ConnectionState::Unreachable), at: at.clone() });
        let row = Arc::new(TenantSummary { cluster: "kept".into(), ..summary("a", Health::Healthy) });
        let seen = vec![SeenTenant { summary: row, spec: None }];
        writer.send(Write::Tenants { cluster: "kept".into(), seen, removed: Vec::new(), at: at.clone() });
        writer.send(Write::Cluster { status: status("kept", ConnectionState::Live), at });
        writer.finish().await;
        opened.cache.close().await;

        let fleet = Fleet::start(Vec::new(), Some(&path), Settings::default()).await;
        let clusters: Vec<(String, ConnectionState)> =
            fleet.clusters().into_iter().map(|c| (c.context, c.state)).collect();
        assert_eq!(clusters, vec![("kept".to_owned(), ConnectionState::NotWatched)]);
        assert_eq!(fleet.tenants().len(), 1, "its rows stay as last cached");
        assert!(fleet.watched().is_empty(), "nothing is tried");
        fleet.shutdown().await;
    }
}
