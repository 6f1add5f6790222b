//! `tenantry create|update|scale|restart|suspend|resume|rollback|backup|restore|delete CLUSTER/ID`: the one-click
//! actions on the command line. Each shows the server's dry run first and asks before applying
//! (`--yes` skips the question, `--dry-run` stops after the preview), then follows the action
//! until the tenant runs as asked.
//!
//! Exit codes: 0 done (or previewed), 1 failed after it started (conflict, not converged, cluster
//! error), 2 refused before anything changed (invalid input, missing permission, declined).

use std::collections::BTreeMap;
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use tenantry_core::actions::{ActionError, ActionSettings, Actions, ControllersOfRecord};
use tenantry_core::blueprint::Catalog;
use tenantry_core::cache::Cache;
use tenantry_core::kubeconfig::ContextEntry;

use crate::output::inert;
use crate::selection::Target;
use tenantry_model::{
    ActionEvent, ActionRequest, ActionResult, Autoscaling, BackupPolicy, Change, ErrorKind, Operation, Outcome,
    Preview, TenantSpec,
};

impl Common {
    /// Whether JSON output was asked for.
    pub fn json(&self) -> bool {
        self.json
    }

    /// The same options with `reason` when none was given.
    pub fn with_default_reason(self, reason: &str) -> Self {
        if self.reason.is_empty() { Self { reason: reason.to_owned(), ..self } } else { self }
    }
}

/// Options every action takes.
#[derive(clap::Args)]
pub struct Common {
    /// The tenant as `CLUSTER/ID`, e.g. `eu-west/alder-books` (CLUSTER is a context name).
    target: String,
    /// Show what would change (the server's dry run) and stop.
    #[arg(long)]
    dry_run: bool,
    /// Apply without asking (for scripts).
    #[arg(long, short = 'y')]
    yes: bool,
    /// Take over fields another writer changed (after a conflict was shown), like
    /// `kubectl apply --server-side --force-conflicts`.
    #[arg(long)]
    take_over: bool,
    /// Print the preview or the outcome as JSON.
    #[arg(long)]
    json: bool,
    /// Why you run it (e.g. a ticket number); kept in the audit log and the tenant's history.
    #[arg(long, default_value = "")]
    reason: String,
    /// Seconds to wait until the tenant runs as asked.
    #[arg(long, default_value_t = 180)]
    timeout: u64,
    /// Read this kubeconfig file only, like `kubectl --kubeconfig`.
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
}

/// Options of `tenantry create`.
#[derive(clap::Args)]
pub struct CreateArgs {
    #[command(flatten)]
    common: Common,
    /// Name shown to people, e.g. "Alder Books shop".
    #[arg(long)]
    name: String,
    /// The customer who owns the tenant.
    #[arg(long)]
    customer: String,
    /// A domain the tenant serves (repeat for more).
    #[arg(long = "domain", required = true)]
    domains: Vec<String>,
    /// App version (image tag).
    #[arg(long)]
    version: String,
    /// Plan: small, medium or large.
    #[arg(long, default_value = "small")]
    plan: String,
    /// Pods to run.
    #[arg(long, default_value_t = 1, conflicts_with = "autoscale")]
    replicas: i32,
    /// Scale with the load between MIN and MAX pods, as `MIN:MAX`.
    #[arg(long, value_parser = parse_bounds)]
    autoscale: Option<Autoscaling>,
    /// Blueprint rendering the tenant's objects.
    #[arg(long, default_value = "web")]
    blueprint: String,
    /// App configuration `KEY=VALUE` (repeat for more). A key named like a credential
    /// (`DB_PASSWORD`, `API_TOKEN`) is a secret: its value goes only to the tenant's Secret.
    #[arg(long = "config", value_parser = parse_pair)]
    config: Vec<(String, String)>,
    /// Blueprint parameter `NAME=VALUE` (repeat for more).
    #[arg(long = "param", value_parser = parse_pair)]
    params: Vec<(String, String)>,
    /// Backup schedule (cron), e.g. "0 3 * * *".
    #[arg(long, default_value = "0 3 * * *", conflicts_with = "no_backup")]
    backup_schedule: String,
    /// Backups kept.
    #[arg(long, default_value_t = 7)]
    backup_retention: u32,
    /// No scheduled backups.
    #[arg(long)]
    no_backup: bool,
}

/// Options of `tenantry adopt`.
#[derive(clap::Args)]
pub struct AdoptArgs {
    #[command(flatten)]
    common: Common,
    /// The blueprint that renders the tenant from now on; without one, the spec records the
    /// workloads' sizes (version, plan and domain updates then need a later adoption).
    #[arg(long)]
    blueprint: Option<String>,
    /// Name shown to people (default: the namespace name).
    #[arg(long)]
    name: Option<String>,
    /// The customer who owns the tenant.
    #[arg(long)]
    customer: Option<String>,
    /// A domain the tenant serves (repeat for more; default: its Ingresses' hosts).
    #[arg(long = "domain")]
    domains: Vec<String>,
    /// App version (default: read from the main workload's labels or image tag).
    #[arg(long)]
    version: Option<String>,
    /// Plan: small, medium or large (a blueprint needs one).
    #[arg(long)]
    plan: Option<String>,
}

/// Options of `tenantry update`.
#[derive(clap::Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    common: Common,
    /// New app version (image tag).
    #[arg(long)]
    version: Option<String>,
    /// New plan.
    #[arg(long)]
    plan: Option<String>,
    /// The domains, replacing the current ones (repeat for more).
    #[arg(long = "domain")]
    domains: Vec<String>,
    /// The app configuration `KEY=VALUE`, replacing the current one (repeat for more). A secret
    /// key (named like a credential) not named keeps its value; `KEY=` removes it.
    #[arg(long = "config", value_parser = parse_pair)]
    config: Vec<(String, String)>,
}

/// Options of `tenantry scale`.
#[derive(clap::Args)]
pub struct ScaleArgs {
    #[command(flatten)]
    common: Common,
    /// Run this many pods (turns autoscaling off).
    #[arg(long, required_unless_present = "autoscale", conflicts_with = "autoscale")]
    replicas: Option<i32>,
    /// Scale with the load between MIN and MAX pods, as `MIN:MAX`.
    #[arg(long, value_parser = parse_bounds)]
    autoscale: Option<Autoscaling>,
    /// The workload to scale, on a tenant without a blueprint (`web` or `StatefulSet/db`).
    #[arg(long)]
    workload: Option<String>,
}

/// Options of `tenantry restart`.
#[derive(clap::Args)]
pub struct RestartArgs {
    #[command(flatten)]
    common: Common,
    /// Restart only this workload, on a tenant without a blueprint (`web` or `StatefulSet/db`).
    #[arg(long)]
    workload: Option<String>,
}

/// Options of `tenantry rollback`.
#[derive(clap::Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    common: Common,
    /// The revision whose spec to restore (`tenantry tenant CLUSTER/ID` shows the current one).
    #[arg(long)]
    revision: u64,
}

/// Options of `tenantry backup`.
#[derive(clap::Args)]
pub struct BackupArgs {
    #[command(flatten)]
    common: Common,
    /// The new backup's id; default `manual-YYYYMMDD-HHMMSS` (UTC). Give the same id again to
    /// finish an interrupted backup.
    #[arg(long)]
    id: Option<String>,
}

/// Options of `tenantry restore`.
#[derive(clap::Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    common: Common,
    /// The id of a completed backup (`tenantry tenant CLUSTER/ID` lists them).
    #[arg(long)]
    backup: String,
}

/// Options of `tenantry delete`.
#[derive(clap::Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    common: Common,
    /// The tenant id again, to confirm (asked for when missing).
    #[arg(long)]
    confirm: Option<String>,
}

/// `tenantry create`.
pub async fn create(args: CreateArgs) -> ExitCode {
    let spec = TenantSpec {
        display_name: args.name,
        customer: args.customer,
        domains: args.domains,
        blueprint: args.blueprint,
        version: args.version,
        plan: args.plan,
        replicas: args.autoscale.map_or(args.replicas, |b| b.min),
        autoscaling: args.autoscale,
        config: args.config.into_iter().collect(),
        backup: (!args.no_backup)
            .then_some(BackupPolicy { schedule: args.backup_schedule, retention: args.backup_retention }),
        suspended: false,
        parameters: args.params.into_iter().collect(),
        secret_config: BTreeMap::new(),
        workloads: BTreeMap::new(),
    };
    run(args.common, |_| Change::Create { spec }).await
}

/// `tenantry adopt`.
pub async fn adopt(args: AdoptArgs) -> ExitCode {
    let spec = TenantSpec {
        display_name: args.name.unwrap_or_default(),
        customer: args.customer.unwrap_or_default(),
        domains: args.domains,
        blueprint: args.blueprint.unwrap_or_default(),
        version: args.version.unwrap_or_default(),
        plan: args.plan.unwrap_or_default(),
        ..TenantSpec::default()
    };
    run(args.common, |_| Change::Adopt { spec }).await
}

/// `tenantry update`.
pub async fn update(args: UpdateArgs) -> ExitCode {
    let change = Change::Update {
        version: args.version,
        plan: args.plan,
        domains: (!args.domains.is_empty()).then_some(args.domains),
        config: (!args.config.is_empty()).then(|| args.config.into_iter().collect::<BTreeMap<_, _>>()),
        config_keys: BTreeMap::new(),
        parameters: BTreeMap::new(),
    };
    run(args.common, |_| change).await
}

/// `tenantry scale`.
pub async fn scale(args: ScaleArgs) -> ExitCode {
    let change = Change::Scale { replicas: args.replicas, autoscaling: args.autoscale, workload: args.workload };
    run(args.common, |_| change).await
}

/// `tenantry restart`.
pub async fn restart(args: RestartArgs) -> ExitCode {
    run(args.common, |_| Change::Restart { workload: args.workload, stamp: None }).await
}

/// `tenantry rollback`.
pub async fn rollback(args: RollbackArgs) -> ExitCode {
    run(args.common, |_| Change::Rollback { revision: args.revision }).await
}

/// `tenantry recreate`: creates a deleted tenant again from its cached spec.
pub async fn recreate(common: Common) -> ExitCode {
    let (target, actions) = match prepare(&common).await {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    match actions.cached_spec(&target.entry.name, &target.id).await {
        Ok(spec) => perform(&actions, &target, &common, Change::Create { spec }).await,
        Err(error) => {
            eprintln!("error: {}", error.to_ui().message);
            ExitCode::from(2)
        }
    }
}

/// `tenantry backup`.
pub async fn backup(args: BackupArgs) -> ExitCode {
    let backup = args.id.unwrap_or_else(|| jiff::Timestamp::now().strftime("manual-%Y%m%d-%H%M%S").to_string());
    run(args.common, |_| Change::Backup { backup }).await
}

/// `tenantry restore`.
pub async fn restore(args: RestoreArgs) -> ExitCode {
    run(args.common, |_| Change::Restore { backup: args.backup, attempt: None }).await
}

/// `tenantry restart`, `suspend` and `resume`.
pub async fn simple(common: Common, change: Change) -> ExitCode {
    run(common, |_| change).await
}

/// `tenantry delete`: asks for the tenant id when `--confirm` is missing.
pub async fn delete(args: DeleteArgs) -> ExitCode {
    let confirm = args.confirm;
    run(args.common, move |id| Change::Delete { confirm: confirm.unwrap_or_else(|| ask_for_id(id)) }).await
}

/// Resolves the target, builds the change (`change` gets the tenant id), previews, asks, runs.
async fn run(common: Common, change: impl FnOnce(&str) -> Change) -> ExitCode {
    match prepare(&common).await {
        Ok((target, actions)) => {
            let change = change(&target.id);
            perform(&actions, &target, &common, change).await
        }
        Err(code) => code,
    }
}

/// The tenant the command names and the actions to run on it.
/// The tenant and the actions of `common`; when either cannot be had, says why and returns the
/// exit code.
pub(crate) async fn prepare(common: &Common) -> Result<(Target, Actions), ExitCode> {
    let target = crate::selection::target(&common.target, common.kubeconfig.as_deref())?;
    let actions = actions(common.timeout).await.ok_or(ExitCode::from(1))?;
    Ok((target, actions))
}

/// Previews, asks (unless `--yes`) and runs `change`, then closes the cache (its journal and
/// audit flushed).
pub(crate) async fn perform(actions: &Actions, target: &Target, common: &Common, change: Change) -> ExitCode {
    let code = perform_open(actions, target, common, change).await;
    actions.close().await;
    code
}

async fn perform_open(actions: &Actions, target: &Target, common: &Common, change: Change) -> ExitCode {
    let request = ActionRequest {
        context: target.entry.name.clone(),
        tenant: target.id.clone(),
        change,
        take_over: common.take_over,
        reason: common.reason.clone(),
    };
    if common.dry_run || !common.yes {
        match preview(actions, &target.entry, &request, common.json).await {
            Ok(()) if common.dry_run => return ExitCode::SUCCESS,
            Ok(()) => {}
            Err(code) => return code,
        }
        if !confirmed(&request) {
            eprintln!("Nothing was changed.");
            return ExitCode::from(2);
        }
    }
    execute(actions, &target.entry, &request, common.json).await
}

/// The actions over the local cache and the config folder's blueprints (problems printed).
pub async fn actions(timeout: u64) -> Option<Actions> {
    let opened = match Cache::open(&tenantry_core::paths::cache_file()).await {
        Ok(opened) => opened,
        Err(error) => {
            eprintln!(
                "error: the local cache cannot be opened, so the action cannot be journaled: {}",
                tenantry_core::error::chain(&error)
            );
            return None;
        }
    };
    if let Some(notice) = opened.notice {
        eprintln!("note: {}", notice.message);
    }
    let catalog = Catalog::load(&tenantry_core::paths::blueprint_dir());
    for problem in &catalog.problems {
        eprintln!("warning: {problem}");
    }
    let controllers = ControllersOfRecord::load(&tenantry_core::paths::controllers_file()).unwrap_or_else(|problem| {
        eprintln!("warning: {problem}");
        ControllersOfRecord::default()
    });
    let tenancy = crate::selection::fleet_settings().tenancy;
    let settings = ActionSettings { converge_timeout: std::time::Duration::from_secs(timeout), controllers, tenancy };
    Some(Actions::new(opened.cache, catalog, settings))
}

async fn preview(actions: &Actions, entry: &ContextEntry, request: &ActionRequest, json: bool) -> Result<(), ExitCode> {
    match actions.preview(entry, request).await {
        Ok(preview) if json => {
            crate::output::json(&preview, true);
            Ok(())
        }
        Ok(preview) => {
            print_preview(request, &preview);
            Ok(())
        }
        Err(error) => {
            let ui = error.to_ui();
            crate::output::error("error", &ui);
            Err(ExitCode::from(2))
        }
    }
}

async fn execute(actions: &Actions, entry: &ContextEntry, request: &ActionRequest, json: bool) -> ExitCode {
    let outcome = actions
        .run(entry, request, |event| {
            if !json {
                print_progress(&event);
            }
        })
        .await;
    report(outcome, json)
}

/// Prints how an action ended (its message, or JSON) and returns the exit code scripts rely on:
/// 0 done, 1 failed after it started (or could not be recorded), 2 refused.
pub fn report(outcome: Result<Outcome, ActionError>, json: bool) -> ExitCode {
    match outcome {
        Ok(outcome) => {
            if json {
                crate::output::json(&outcome, true);
            } else {
                println!("{}", inert(&outcome.message));
            }
            match outcome.result {
                ActionResult::Succeeded => ExitCode::SUCCESS,
                ActionResult::Failed => ExitCode::from(1),
                ActionResult::Refused => ExitCode::from(2),
            }
        }
        Err(error) => {
            let ui = error.to_ui();
            crate::output::error("error", &ui);
            match ui.kind {
                ErrorKind::Invalid | ErrorKind::Forbidden => ExitCode::from(2),
                _ => ExitCode::from(1),
            }
        }
    }
}

fn print_preview(request: &ActionRequest, preview: &Preview) {
    println!(
        "{} {}/{} (revision {} → {}):",
        request.change.kind().name(),
        request.context,
        request.tenant,
        preview.revision_before,
        preview.revision_after
    );
    let mut unchanged = Vec::new();
    for object in &preview.objects {
        let (mark, note) = match object.operation {
            Operation::Create => ("+", " (create)"),
            Operation::Update if !object.drift.is_empty() => ("~", " (changed outside Tenantry: taken back)"),
            Operation::Update => ("~", ""),
            Operation::Delete => ("-", " (delete)"),
            Operation::Kept => ("·", " (kept: generated credentials)"),
            Operation::Unchanged => {
                unchanged.push(format!("{} {}", object.kind, object.name));
                continue;
            }
        };
        println!("  {mark} {} {}{note}", inert(&object.kind), inert(&object.name));
        for field in &object.fields {
            let shown = |v: &Option<String>| v.as_deref().map_or_else(|| "(none)".into(), shortened);
            println!(
                "      {}: {} → {}",
                inert(&field.path),
                inert(&shown(&field.before)),
                inert(&shown(&field.after))
            );
        }
    }
    if !unchanged.is_empty() {
        println!("  = unchanged: {}", unchanged.join(", "));
    }
    for note in &preview.notes {
        println!("note: {}", inert(note));
    }
    if !preview.changes_anything() {
        println!("Nothing changes; applying only waits until the tenant runs as asked.");
    }
}

/// `value`, cut to one readable line.
fn shortened(value: &str) -> String {
    const LONGEST: usize = 100;
    match value.char_indices().nth(LONGEST) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_owned(),
    }
}

/// Prints a progress event on stderr.
pub fn print_progress(event: &ActionEvent) {
    match event {
        ActionEvent::Started { step } => eprintln!("… {}", step.title()),
        ActionEvent::Rollout { ready, updated, desired } => {
            eprintln!("  pods: {ready} of {desired} ready, {updated} on the new version");
        }
        ActionEvent::Finished { .. } | ActionEvent::Planned { .. } | ActionEvent::Ended { .. } => {}
    }
}

/// Asks "apply?" on the terminal; without a terminal (a script), refuses: use `--yes`.
fn confirmed(request: &ActionRequest) -> bool {
    if !std::io::stdin().is_terminal() {
        eprintln!("error: not a terminal, so nobody can confirm; pass --yes to apply");
        return false;
    }
    if matches!(request.change, Change::Delete { .. }) {
        return true;
    }
    eprint!("Apply to {}/{}? [y/N] ", request.context, request.tenant);
    let _ = std::io::stderr().flush();
    read_line().is_some_and(|answer| matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// Asks the user to type the tenant id (an empty answer when there is no terminal).
fn ask_for_id(id: &str) -> String {
    if !std::io::stdin().is_terminal() {
        return String::new();
    }
    eprint!("This deletes everything in namespace {id}. Type the tenant id to confirm: ");
    let _ = std::io::stderr().flush();
    read_line().unwrap_or_default().trim().to_owned()
}

fn read_line() -> Option<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok().map(|_| line)
}

/// `KEY=VALUE` as a pair.
pub fn parse_pair(text: &str) -> Result<(String, String), String> {
    text.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())).ok_or_else(|| format!("{text:?} is not KEY=VALUE"))
}

fn parse_bounds(text: &str) -> Result<Autoscaling, String> {
    let (min, max) = text.split_once(':').ok_or_else(|| format!("{text:?} is not MIN:MAX"))?;
    let number = |n: &str| n.trim().parse::<i32>().map_err(|_| format!("{n:?} is not a whole number"));
    Ok(Autoscaling { min: number(min)?, max: number(max)? })
}
