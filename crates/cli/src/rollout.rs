//! `tenantry rollout`: one change to many tenants across clusters, in waves with a health gate —
//! choose the tenants by query, see the plan (what changes, what is skipped and why), confirm,
//! and follow each wave; or list, show, pause, abort, resume, report and roll back rollouts.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use tenantry_core::actions::Actions;
use tenantry_core::fleet::Fleet;
use tenantry_core::rollout::Rollouts;
use tenantry_model::{
    FleetChange, Health, Rollout, RolloutEvent, RolloutGroup, RolloutSettings, RolloutState, TenantState, TenantSummary,
};

/// Options of `tenantry rollout`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
    /// Read this kubeconfig file only, like `kubectl --kubeconfig`.
    #[arg(long, global = true)]
    kubeconfig: Option<PathBuf>,
    /// Seconds each cluster may take to list its tenants.
    #[arg(long, global = true, default_value_t = 15)]
    timeout: u64,
    /// Print the rollout as JSON when it ends.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Set the version and/or plan of the chosen tenants.
    Update {
        /// The new version.
        #[arg(long)]
        version: Option<String>,
        /// The new plan.
        #[arg(long)]
        plan: Option<String>,
        /// Set one app config key `KEY=VALUE`, keeping the others (repeat for more; secret keys
        /// are set per tenant).
        #[arg(long = "set-config", value_parser = crate::action::parse_pair)]
        set_config: Vec<(String, String)>,
        /// Remove one app config key, keeping the others (repeat for more).
        #[arg(long = "unset-config")]
        unset_config: Vec<String>,
        /// Set one blueprint parameter `NAME=VALUE` (repeat for more).
        #[arg(long = "param", value_parser = crate::action::parse_pair)]
        parameters: Vec<(String, String)>,
        #[command(flatten)]
        plan_options: PlanOptions,
    },
    /// Set the chosen tenants' pods (`--replicas N`) or change them by `--by +N` / `--by -N`.
    Scale {
        /// Pods each runs.
        #[arg(long, conflicts_with = "by")]
        replicas: Option<i32>,
        /// Pods more (or fewer) than each runs now.
        #[arg(long, allow_hyphen_values = true)]
        by: Option<i32>,
        #[command(flatten)]
        plan_options: PlanOptions,
    },
    /// Replace the chosen tenants' pods.
    Restart(PlanOptions),
    /// Scale the chosen tenants to zero, remembering their size.
    Suspend(PlanOptions),
    /// Bring the chosen suspended tenants back.
    Resume(PlanOptions),
    /// Back the chosen tenants up now (backup id `rollout-<time>`).
    Backup(PlanOptions),
    /// Make the chosen tenants Tenantry did not create Tenantry tenants (each keeps its own
    /// names, domains and sizes; Tenantry's own tenants are skipped).
    Adopt {
        /// The blueprint that renders them from now on; without one, each spec records its
        /// workloads' sizes.
        #[arg(long, default_value = "")]
        blueprint: String,
        /// The plan (with a blueprint).
        #[arg(long, default_value = "small", requires = "blueprint")]
        plan: String,
        /// The version (with a blueprint; default: read from each tenant's main workload).
        #[arg(long, requires = "blueprint")]
        version: Option<String>,
        #[command(flatten)]
        plan_options: PlanOptions,
    },
    /// List the rollouts, newest first.
    List,
    /// Show one rollout with every tenant (`--csv`: its report).
    Show {
        /// The rollout.
        id: i64,
        /// Print the report as CSV.
        #[arg(long)]
        csv: bool,
    },
    /// Continue a paused or stopped rollout where it stopped.
    Continue {
        /// The rollout.
        id: i64,
    },
    /// Pause a running rollout after the tenants in flight (from any process).
    Pause {
        /// The rollout.
        id: i64,
    },
    /// Abort a rollout: the tenants in flight finish, no more start.
    Abort {
        /// The rollout.
        id: i64,
    },
    /// Put every converged tenant of a rollout back to its spec before it, in waves.
    RollBack {
        /// The rollout.
        id: i64,
        /// Why (kept on every audit entry).
        #[arg(long, default_value = "")]
        reason: String,
        /// Run without asking.
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

/// Which tenants, how to run the waves, and why.
#[derive(clap::Args)]
struct PlanOptions {
    /// Only tenants whose id, name, customer or a domain contains this text.
    #[arg(long)]
    search: Option<String>,
    /// Only tenants of these clusters (contexts; repeat or comma-separate).
    #[arg(long, value_delimiter = ',')]
    cluster: Vec<String>,
    /// Only tenants with this health.
    #[arg(long)]
    health: Option<String>,
    /// Only tenants running this version now.
    #[arg(long)]
    running: Option<String>,
    /// Only tenants of this blueprint.
    #[arg(long)]
    blueprint: Option<String>,
    /// Exactly these tenants (`CLUSTER/ID`; repeat or comma-separate).
    #[arg(long, value_delimiter = ',')]
    tenant: Vec<String>,
    /// Tenants in the canary wave (spread over the clusters).
    #[arg(long, default_value_t = RolloutSettings::default().canary)]
    canary: usize,
    /// Exactly these tenants are the canary (`CLUSTER/ID`, each among the chosen; repeat or
    /// comma-separate); instead of --canary.
    #[arg(long, value_delimiter = ',', conflicts_with = "canary")]
    canary_tenant: Vec<String>,
    /// Tenants in each later wave.
    #[arg(long, default_value_t = RolloutSettings::default().wave_size)]
    wave_size: usize,
    /// Tenants changed at once on one cluster.
    #[arg(long, default_value_t = RolloutSettings::default().per_cluster)]
    per_cluster: usize,
    /// Seconds each wave must stay healthy before the next starts.
    #[arg(long, default_value_t = RolloutSettings::default().hold_seconds)]
    hold: u64,
    /// Stop when more than this many tenants have failed.
    #[arg(long, default_value_t = RolloutSettings::default().max_failures)]
    max_failures: usize,
    /// Stop when more than this percent of the tenants attempted have failed.
    #[arg(long, default_value_t = RolloutSettings::default().max_failure_percent)]
    max_failure_percent: u8,
    /// Why (a ticket number): kept on every tenant's audit entry with the rollout's id.
    #[arg(long, default_value = "")]
    reason: String,
    /// Show the plan and stop.
    #[arg(long)]
    dry_run: bool,
    /// Run without asking (for scripts).
    #[arg(long, short = 'y')]
    yes: bool,
}

impl PlanOptions {
    fn settings(&self) -> RolloutSettings {
        RolloutSettings {
            canary: if self.canary_tenant.is_empty() { self.canary } else { self.canary_tenant.len() },
            wave_size: self.wave_size,
            per_cluster: self.per_cluster,
            hold_seconds: self.hold,
            max_failures: self.max_failures,
            max_failure_percent: self.max_failure_percent,
        }
    }

    /// The chosen canary as (cluster, tenant), or which of it is not `CLUSTER/ID`.
    fn canary_tenants(&self) -> Result<Vec<(String, String)>, String> {
        self.canary_tenant
            .iter()
            .map(|named| match named.split_once('/') {
                Some((cluster, id)) if !cluster.is_empty() && !id.is_empty() => Ok((cluster.to_owned(), id.to_owned())),
                _ => Err(format!("--canary-tenant {named:?}: say CLUSTER/ID")),
            })
            .collect()
    }

    /// Whether `row` is chosen.
    fn chooses(&self, row: &TenantSummary, health: Option<Health>) -> bool {
        let named = format!("{}/{}", row.cluster, row.id);
        (self.tenant.is_empty() || self.tenant.contains(&named))
            && (self.cluster.is_empty() || self.cluster.contains(&row.cluster))
            && self.search.as_deref().is_none_or(|s| row.matches(&s.to_lowercase()))
            && health.is_none_or(|h| row.health == h)
            && self.running.as_ref().is_none_or(|v| *v == row.version)
            && self.blueprint.as_ref().is_none_or(|b| *b == row.blueprint)
    }
}

/// Exit codes: 0 finished (or shown), 3 stopped by the gate or paused with tenants waiting, 1
/// failed to run, 2 bad input or not confirmed.
pub async fn run(args: Args) -> ExitCode {
    let Some(actions) = crate::action::actions(args.timeout).await else { return ExitCode::from(1) };
    let code = match &args.command {
        Command::List => list(&actions).await,
        Command::Show { id, csv } => show(&actions, *id, *csv, args.json).await,
        Command::Pause { id } => set(&actions, *id, RolloutState::Paused, "paused from the command line").await,
        Command::Abort { id } => set(&actions, *id, RolloutState::Aborted, "aborted from the command line").await,
        command => with_fleet(&args, command, &actions).await,
    };
    actions.close().await;
    code
}

/// The commands that need the clusters: plan and run, continue, roll back.
async fn with_fleet(args: &Args, command: &Command, actions: &Actions) -> ExitCode {
    let list = match crate::selection::load(args.kubeconfig.as_deref()) {
        Ok(list) => list,
        Err(code) => return code,
    };
    let entries: Vec<_> = list.watched(None).into_iter().cloned().collect();
    let fleet =
        Fleet::start(entries.clone(), Some(&tenantry_core::paths::cache_file()), crate::selection::fleet_settings())
            .await;
    fleet.settled(Duration::from_secs(args.timeout)).await;
    let health = |cluster: &str, id: &str| fleet.live_health(cluster, id);
    let rollouts = Rollouts::new(actions, entries, &health);
    let planned = match command {
        Command::Continue { id } => Ok((*id, true)),
        Command::RollBack { id, reason, yes } => match rollouts.plan_roll_back(*id, reason).await {
            Ok(rollout) => {
                print_plan(&rollout, &rollouts.preview(&rollout).await);
                Ok((rollout.id, *yes || confirmed(rollout.id)))
            }
            Err(error) => Err(error),
        },
        command => {
            let (change, options) = match fleet_change(command) {
                Ok(found) => found,
                Err(code) => {
                    fleet.shutdown().await;
                    return code;
                }
            };
            let health = match options.health.as_deref().map(crate::tenants::parse_health).transpose() {
                Ok(health) => health,
                Err(why) => {
                    eprintln!("error: --health: {why}");
                    fleet.shutdown().await;
                    return ExitCode::from(2);
                }
            };
            let canary = match options.canary_tenants() {
                Ok(canary) => canary,
                Err(why) => {
                    eprintln!("error: {why}");
                    fleet.shutdown().await;
                    return ExitCode::from(2);
                }
            };
            let rows: Vec<TenantSummary> = fleet.tenants().into_iter().filter(|r| options.chooses(r, health)).collect();
            match rollouts.plan(&change, &rows, options.settings(), &canary, &options.reason).await {
                Ok(rollout) => {
                    print_plan(&rollout, &rollouts.preview(&rollout).await);
                    if options.dry_run {
                        let _ = actions.cache().rollout_set_state(rollout.id, RolloutState::Aborted, "a dry run").await;
                        fleet.shutdown().await;
                        return ExitCode::SUCCESS;
                    }
                    Ok((rollout.id, options.yes || confirmed(rollout.id)))
                }
                Err(error) => Err(error),
            }
        }
    };
    let code = match planned {
        Ok((id, true)) => follow(&rollouts, id, args.json).await,
        Ok((id, false)) => {
            let _ = actions.cache().rollout_set_state(id, RolloutState::Aborted, "not confirmed").await;
            eprintln!("Nothing was changed.");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("error: {}", tenantry_core::error::chain(&error));
            ExitCode::from(1)
        }
    };
    fleet.shutdown().await;
    code
}

/// The change a plan command asks for, with its options.
fn fleet_change(command: &Command) -> Result<(FleetChange, &PlanOptions), ExitCode> {
    let bad = |why: &str| {
        eprintln!("error: {why}");
        ExitCode::from(2)
    };
    Ok(match command {
        Command::Update { version, plan, set_config, unset_config, parameters, plan_options } => {
            let config = set_config
                .iter()
                .map(|(key, value)| (key.clone(), Some(value.clone())))
                .chain(unset_config.iter().map(|key| (key.clone(), None)))
                .collect();
            let change = FleetChange::Update {
                version: version.clone(),
                plan: plan.clone(),
                config,
                parameters: parameters.iter().cloned().collect(),
            };
            if change.is_empty() {
                return Err(bad("say what to update: --version, --plan, --set-config, --unset-config or --param"));
            }
            (change, plan_options)
        }
        Command::Scale { replicas: Some(n), plan_options, .. } => (FleetChange::ScaleTo { replicas: *n }, plan_options),
        Command::Scale { by: Some(n), plan_options, .. } => (FleetChange::ScaleBy { delta: *n }, plan_options),
        Command::Scale { .. } => return Err(bad("say the size: --replicas N or --by +N / --by -N")),
        Command::Restart(options) => (FleetChange::Restart, options),
        Command::Suspend(options) => (FleetChange::Suspend, options),
        Command::Resume(options) => (FleetChange::Resume, options),
        Command::Backup(options) => {
            let id = format!("rollout-{}", jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S"));
            (FleetChange::Backup { backup: id }, options)
        }
        Command::Adopt { blueprint, plan, version, plan_options } => {
            let change =
                FleetChange::Adopt { blueprint: blueprint.clone(), plan: plan.clone(), version: version.clone() };
            (change, plan_options)
        }
        _ => return Err(bad("not a change")),
    })
}

/// Runs rollout `id`, printing each wave and every tenant that ends; the summary at the end.
async fn follow(rollouts: &Rollouts<'_>, id: i64, json: bool) -> ExitCode {
    let mut print = |event: RolloutEvent| match event {
        RolloutEvent::WaveStarted { wave, tenants } => {
            eprintln!(
                "{} ({tenants} tenants)",
                if wave == 0 { "canary wave".to_owned() } else { format!("wave {wave}") }
            );
        }
        RolloutEvent::Tenant { position, state, message } if state != TenantState::Running => {
            eprintln!("  #{position} {}: {message}", state.name());
        }
        RolloutEvent::Holding { seconds, .. } => eprintln!("  holding: every tenant must stay healthy for {seconds} s"),
        RolloutEvent::State { state, message } if !message.is_empty() => eprintln!("{state:?}: {message}"),
        _ => {}
    };
    match rollouts.run(id, &mut print).await {
        Ok(rollout) => {
            if json {
                crate::output::json(&rollout, true);
            } else {
                println!("rollout #{}: {}", rollout.id, summary(&rollout));
            }
            match rollout.state {
                RolloutState::Finished => ExitCode::SUCCESS,
                _ => ExitCode::from(3),
            }
        }
        Err(error) => {
            eprintln!("error: {}", tenantry_core::error::chain(&error));
            ExitCode::from(1)
        }
    }
}

fn summary(rollout: &Rollout) -> String {
    let counts: Vec<String> =
        [TenantState::Converged, TenantState::Failed, TenantState::Skipped, TenantState::Waiting, TenantState::Queued]
            .into_iter()
            .map(|s| (s, rollout.count(s)))
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{n} {}", s.name()))
            .collect();
    format!("{} — {:?}; {}", rollout.title, rollout.state, counts.join(", "))
}

/// The plan on stderr: what changes for how many tenants (the renders compared, a sample of
/// each group dry-run by the server), what is skipped and why, and the waves.
fn print_plan(rollout: &Rollout, groups: &[RolloutGroup]) {
    eprintln!("rollout #{}: {} ({} waves)", rollout.id, rollout.title, rollout.waves());
    for group in groups {
        eprintln!("  {} tenants (e.g. {}):", group.tenants, group.examples.join(", "));
        for change in &group.changes {
            eprintln!("    {change}");
        }
        eprintln!("    {}", group.dry_run);
    }
    for t in rollout.tenants.iter().filter(|t| t.state == TenantState::Skipped) {
        eprintln!("  skipped {}/{}: {}", t.context, t.tenant, t.message);
    }
    for wave in 0..rollout.waves() {
        let members = rollout.tenants.iter().filter(|t| t.wave == wave && t.state != TenantState::Skipped).count();
        eprintln!("  {}: {members} tenants", if wave == 0 { "canary".to_owned() } else { format!("wave {wave}") });
    }
}

fn confirmed(id: i64) -> bool {
    if !std::io::stdin().is_terminal() {
        eprintln!("error: not a terminal, so nobody can confirm; pass --yes to run");
        return false;
    }
    eprint!("Run rollout #{id}? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok() && matches!(answer.trim(), "y" | "Y" | "yes")
}

async fn list(actions: &Actions) -> ExitCode {
    let cache = actions.cache();
    for id in cache.rollout_ids().await.unwrap_or_default() {
        if let Ok(rollout) = tenantry_core::rollout::load(cache, id).await {
            println!("#{id}  {}  by {}  {}", rollout.created, rollout.by, summary(&rollout));
        }
    }
    ExitCode::SUCCESS
}

async fn show(actions: &Actions, id: i64, csv: bool, json: bool) -> ExitCode {
    let rollout = match tenantry_core::rollout::load(actions.cache(), id).await {
        Ok(rollout) => rollout,
        Err(error) => {
            eprintln!("error: {}", tenantry_core::error::chain(&error));
            return ExitCode::from(1);
        }
    };
    if csv {
        match tenantry_core::rollout::report_csv(&rollout) {
            Ok(text) => print!("{text}"),
            Err(error) => {
                eprintln!("error: {}", tenantry_core::error::chain(&error));
                return ExitCode::from(1);
            }
        }
    } else if json {
        crate::output::json(&rollout, true);
    } else {
        println!("rollout #{id}: {}", summary(&rollout));
        if !rollout.message.is_empty() {
            println!("{}", rollout.message);
        }
        for t in &rollout.tenants {
            println!(
                "  wave {}  {}/{}  {} → {}  {}  {}",
                t.wave,
                t.context,
                t.tenant,
                t.before,
                t.after,
                t.state.name(),
                t.message
            );
        }
    }
    ExitCode::SUCCESS
}

async fn set(actions: &Actions, id: i64, state: RolloutState, message: &str) -> ExitCode {
    match actions.cache().rollout_set_state(id, state, message).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", tenantry_core::error::chain(&error));
            ExitCode::from(1)
        }
    }
}
