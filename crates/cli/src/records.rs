//! `tenantry audit` (the audit log, filtered, as a table, JSON or CSV) and `tenantry journal`
//! (unfinished actions, and resuming or rolling one back).

use std::path::PathBuf;
use std::process::ExitCode;

use tenantry_core::cache::Cache;
use tenantry_model::{ActionKind, ActionResult, AuditFilter, JournalState};

use crate::output::{age, table};

/// Options of `tenantry audit`.
#[derive(clap::Args)]
pub struct AuditArgs {
    /// Only this cluster (context).
    #[arg(long)]
    cluster: Option<String>,
    /// Only tenants whose id contains this text.
    #[arg(long)]
    tenant: Option<String>,
    /// Only this action (create, update, scale, restart, suspend, resume, rollback, delete).
    #[arg(long, value_parser = parse_action)]
    action: Option<ActionKind>,
    /// Only this result (succeeded, failed, refused).
    #[arg(long, value_parser = parse_result)]
    result: Option<ActionResult>,
    /// Print CSV with a header row (for spreadsheets).
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Options of `tenantry journal`.
#[derive(clap::Args)]
pub struct JournalArgs {
    #[command(subcommand)]
    command: Option<JournalCommand>,
}

#[derive(clap::Subcommand)]
enum JournalCommand {
    /// Run an unfinished action again until it is done (actions are idempotent).
    Resume {
        /// The action's number, as `tenantry journal` lists it.
        id: i64,
        /// Read this kubeconfig file only.
        #[arg(long)]
        kubeconfig: Option<PathBuf>,
    },
    /// Undo an unfinished action: back to the revision before it (a created tenant is deleted).
    RollBack {
        /// The action's number, as `tenantry journal` lists it.
        id: i64,
        /// The tenant id again, needed when rolling back a create (it deletes the tenant).
        #[arg(long, default_value = "")]
        confirm: String,
        /// Read this kubeconfig file only.
        #[arg(long)]
        kubeconfig: Option<PathBuf>,
    },
}

/// Exit codes: 0 printed, 1 the cache cannot be read.
pub async fn audit(args: AuditArgs) -> ExitCode {
    let Some(cache) = open_cache().await else {
        return ExitCode::from(1);
    };
    let read = cache.audit_log().await;
    cache.close().await;
    let entries = match read {
        Ok(entries) => entries,
        Err(error) => {
            eprintln!("error: the audit log cannot be read: {}", tenantry_core::error::chain(&error));
            return ExitCode::from(1);
        }
    };
    let filter = AuditFilter { context: args.cluster, tenant: args.tenant, action: args.action, result: args.result };
    let entries: Vec<_> = entries.into_iter().filter(|e| filter.matches(e)).collect();
    if args.json {
        crate::output::json(&entries, true);
    } else if args.csv {
        match tenantry_core::audit::to_csv(&entries) {
            Ok(csv) => print!("{csv}"),
            Err(error) => {
                eprintln!("error: {}", tenantry_core::error::chain(&error));
                return ExitCode::from(1);
            }
        }
    } else {
        let rows: Vec<[String; 8]> = entries
            .iter()
            .map(|e| {
                [
                    format!("{} ago", age(&e.at)),
                    e.os_user.clone(),
                    e.identity.clone(),
                    format!("{}/{}", e.context, e.tenant),
                    if e.reason.is_empty() {
                        e.action.name().to_owned()
                    } else {
                        format!("{} ({})", e.action.name(), e.reason)
                    },
                    format!("{} → {}", e.revision_before, e.revision_after),
                    e.result.name().to_owned(),
                    e.message.clone(),
                ]
            })
            .collect();
        table(["WHEN", "USER", "IDENTITY", "TENANT", "ACTION", "REVISION", "RESULT", "MESSAGE"], &rows);
    }
    ExitCode::SUCCESS
}

/// Lists unfinished actions, or resumes / rolls back one. Exit codes as the actions'.
pub async fn journal(args: JournalArgs) -> ExitCode {
    let (id, kubeconfig, confirm) = match args.command {
        None => return list_unfinished().await,
        Some(JournalCommand::Resume { id, kubeconfig }) => (id, kubeconfig, None),
        Some(JournalCommand::RollBack { id, confirm, kubeconfig }) => (id, kubeconfig, Some(confirm)),
    };
    let Some(cache) = open_cache().await else {
        return ExitCode::from(1);
    };
    let read = cache.journal_entry(id).await;
    cache.close().await;
    let Ok(Some(journal)) = read else {
        eprintln!("error: the journal has no action #{id}");
        return ExitCode::from(2);
    };
    let entry = match crate::selection::context(&journal.entry.request.context, kubeconfig.as_deref()) {
        Ok(entry) => entry,
        Err(code) => return code,
    };
    let Some(actions) = crate::action::actions(180).await else {
        return ExitCode::from(1);
    };
    let outcome = match confirm {
        None => actions.resume(&entry, id, |e| crate::action::print_progress(&e)).await,
        Some(confirm) => actions.roll_back(&entry, id, &confirm, |e| crate::action::print_progress(&e)).await,
    };
    actions.close().await;
    crate::action::report(outcome, false)
}

async fn list_unfinished() -> ExitCode {
    let Some(actions) = crate::action::actions(180).await else {
        return ExitCode::from(1);
    };
    let unfinished = actions.unfinished().await;
    actions.close().await;
    match unfinished {
        Ok(entries) if entries.is_empty() => println!("No unfinished actions."),
        Ok(entries) => {
            let rows: Vec<[String; 6]> = entries
                .iter()
                .map(|j| {
                    [
                        format!("#{}", j.id),
                        format!("{} ago", age(&j.started)),
                        format!("{}/{}", j.request.context, j.request.tenant),
                        j.request.change.kind().name().to_owned(),
                        match (&j.running_in, j.state) {
                            (Some(running_in), _) => format!("running in {running_in}, at: {}", j.step.title()),
                            (None, JournalState::Running) => format!("interrupted at: {}", j.step.title()),
                            (None, _) => format!("failed at: {}", j.step.title()),
                        },
                        j.message.clone(),
                    ]
                })
                .collect();
            table(["ACTION", "STARTED", "TENANT", "KIND", "STATE", "MESSAGE"], &rows);
            if entries.iter().any(|j| j.running_in.is_none()) {
                println!("Resume with `tenantry journal resume N`, undo with `tenantry journal roll-back N`.");
            }
        }
        Err(error) => {
            let ui = error.to_ui();
            crate::output::error("error", &ui);
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}

async fn open_cache() -> Option<Cache> {
    match Cache::open(&tenantry_core::paths::cache_file()).await {
        Ok(opened) => {
            if let Some(notice) = opened.notice {
                eprintln!("note: {}", notice.message);
            }
            Some(opened.cache)
        }
        Err(error) => {
            eprintln!("error: the local cache cannot be opened: {}", tenantry_core::error::chain(&error));
            None
        }
    }
}

fn parse_action(text: &str) -> Result<ActionKind, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|_| format!("{text:?} is not an action"))
}

fn parse_result(text: &str) -> Result<ActionResult, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| format!("{text:?} is not succeeded, failed or refused"))
}
