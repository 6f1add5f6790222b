//! Which clusters a tenant command works on: `--kubeconfig`, `--cluster`, `--group` and `--timeout`.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use tenantry_core::cluster::ClusterList;
use tenantry_core::kubeconfig::{ContextEntry, Sources};

/// The cluster options shared by the tenant commands.
#[derive(clap::Args)]
pub struct Selection {
    /// Only this cluster (context name); default: every cluster, one context per API server.
    #[arg(long)]
    cluster: Option<String>,
    /// Only the watched clusters of this group (the groups named in the Clusters view).
    #[arg(long, conflicts_with = "cluster")]
    group: Option<String>,
    /// Seconds each cluster may take to list its tenants.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Read this kubeconfig file only, like `kubectl --kubeconfig`.
    #[arg(long)]
    kubeconfig: Option<std::path::PathBuf>,
}

impl Selection {
    /// Which clusters' tenants are asked for (`--cluster`, `--group`), told without the
    /// kubeconfig (for the cache).
    pub fn takes(&self) -> impl Fn(&str) -> bool + '_ {
        let groups = tenantry_core::cluster_groups::ClusterGroups::load(&tenantry_core::paths::cluster_groups_file());
        let members = self.group.as_ref().map(|group| groups.members(group).cloned().unwrap_or_default());
        move |cluster: &str| {
            self.cluster.as_deref().is_none_or(|wanted| wanted == cluster)
                && members.as_ref().is_none_or(|members| members.contains(cluster))
        }
    }

    /// How long each cluster may take to sync.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout)
    }

    /// The chosen contexts; when there are none, says why on stderr and returns exit code 2.
    pub fn contexts(&self) -> Result<Vec<ContextEntry>, ExitCode> {
        let list = load(self.kubeconfig.as_deref())?;
        let members = match &self.group {
            Some(group) => Some(list.groups.members(group).cloned().ok_or_else(|| {
                eprintln!("error: there is no group of clusters named {group:?}");
                ExitCode::from(2)
            })?),
            None => None,
        };
        let chosen: Vec<ContextEntry> = list
            .watched(self.cluster.as_deref())
            .into_iter()
            .filter(|entry| members.as_ref().is_none_or(|members| members.contains(&entry.name)))
            .cloned()
            .collect();
        if chosen.is_empty() {
            let named = self.cluster.as_ref().map(|c| format!(" named {c}")).unwrap_or_default();
            eprintln!("error: no usable cluster{named}");
            return Err(ExitCode::from(2));
        }
        Ok(chosen)
    }
}

/// A tenant named on the command line as `CLUSTER/ID`, with its cluster's context.
pub struct Target {
    /// The cluster's context.
    pub entry: ContextEntry,
    /// The tenant id.
    pub id: String,
}

/// Resolves `CLUSTER/ID` against `kubeconfig`; when it cannot, says why on stderr and returns
/// exit code 2.
pub fn target(text: &str, kubeconfig: Option<&Path>) -> Result<Target, ExitCode> {
    let Some((cluster, id)) = text.split_once('/').filter(|(c, i)| !c.is_empty() && !i.is_empty()) else {
        eprintln!("error: name the tenant as CLUSTER/ID, e.g. eu-west/alder-books (got {text:?})");
        return Err(ExitCode::from(2));
    };
    Ok(Target { entry: context(cluster, kubeconfig)?, id: id.to_owned() })
}

/// The context named `name` in `kubeconfig`; when there is none, says so on stderr and returns
/// exit code 2.
pub fn context(name: &str, kubeconfig: Option<&Path>) -> Result<ContextEntry, ExitCode> {
    let list = load(kubeconfig)?;
    list.entries.iter().find(|e| e.name == name).cloned().ok_or_else(|| {
        eprintln!("error: the kubeconfig has no context named {name}");
        ExitCode::from(2)
    })
}

/// The clusters of `kubeconfig` (else of `KUBECONFIG` / `~/.kube/config`); when it cannot be
/// loaded, says why on stderr and returns exit code 2.
pub fn load(kubeconfig: Option<&Path>) -> Result<ClusterList, ExitCode> {
    let sources = kubeconfig.map_or_else(Sources::from_env, |path| Sources::Explicit(path.to_owned()));
    let list = ClusterList::load_with_added(&sources);
    if let Some(error) = &list.summary.error {
        crate::output::error("error", error);
        return Err(ExitCode::from(2));
    }
    Ok(list)
}

/// The fleet's settings with the config folder's tenancy rules; a broken rules file is printed
/// as a warning (the last rules that loaded are in force).
pub fn fleet_settings() -> tenantry_core::fleet::Settings {
    let (settings, problem) = tenantry_core::fleet::Settings::configured();
    if let Some(problem) = problem {
        eprintln!(
            "warning: {}; the last tenancy rules that loaded are in force",
            crate::output::inert(&problem.to_string())
        );
    }
    settings
}

/// The options of a command about one tenant: which, how long its cluster may take, which
/// kubeconfig.
#[derive(clap::Args)]
pub struct OneTenant {
    /// The tenant as `CLUSTER/ID`, e.g. `eu-west/alder-books` (CLUSTER is a context name).
    target: String,
    /// Seconds the cluster may take to list its tenants.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Read this kubeconfig file only, like `kubectl --kubeconfig`.
    #[arg(long)]
    kubeconfig: Option<std::path::PathBuf>,
}

/// A fleet watching one tenant's cluster, settled.
pub struct Watching {
    /// The fleet (shut it down when done).
    pub fleet: tenantry_core::fleet::Fleet,
    /// The tenant's cluster (context).
    pub cluster: String,
    /// The tenant.
    pub id: String,
}

impl OneTenant {
    /// Starts a fleet watching the tenant's cluster — over the local cache when `cached`, so a
    /// cluster that does not answer still shows what was seen — and waits until it settled;
    /// on bad input says why and returns exit code 2.
    pub async fn watch(&self, cached: bool) -> Result<Watching, ExitCode> {
        let target = target(&self.target, self.kubeconfig.as_deref())?;
        let (cluster, id) = (target.entry.name.clone(), target.id.clone());
        let cache = cached.then(tenantry_core::paths::cache_file);
        let fleet = tenantry_core::fleet::Fleet::start(vec![target.entry], cache.as_deref(), fleet_settings()).await;
        fleet.settled(Duration::from_secs(self.timeout)).await;
        Ok(Watching { fleet, cluster, id })
    }
}
