//! `tenantry drift CLUSTER/ID [--sync | --accept]`: where the tenant's live objects differ from
//! what its spec renders (the server's dry run), with who changed each field and when; `--sync`
//! takes the drift back, `--accept` records the live pods, autoscaling bounds or version into
//! the spec — both through the normal action pipeline (preview, confirmation, audit).

use std::process::ExitCode;

use tenantry_core::actions::drift;
use tenantry_model::{DriftAcceptance, DriftReport};

use crate::action::Common;

/// Options of `tenantry drift`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    common: Common,
    /// Take the drift back: apply the spec's render again (preview, confirm, audit).
    #[arg(long, conflicts_with = "accept")]
    sync: bool,
    /// Record the live values that map back to the spec (pods, autoscaling bounds, version) as
    /// a new revision; says which drifted fields cannot be recorded.
    #[arg(long)]
    accept: bool,
}

/// Exit codes: 0 no drift (or repaired), 3 drift found, 1 the check or the repair failed, 2 bad
/// input or not confirmed.
pub async fn run(args: Args) -> ExitCode {
    let (target, actions) = match crate::action::prepare(&args.common).await {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    if args.sync {
        let common = args.common.with_default_reason("sync: take the drift back");
        return crate::action::perform(&actions, &target, &common, drift::sync_change()).await;
    }
    if args.accept {
        let common = args.common.with_default_reason("accept the drift into the spec");
        let accepted = actions.accept_drift(&target.entry, &target.id, "").await;
        return match accepted {
            Ok(DriftAcceptance { request, refused }) => {
                for field in &refused {
                    eprintln!("not recorded: {field}");
                }
                match request {
                    Some(request) => crate::action::perform(&actions, &target, &common, request.change).await,
                    None => {
                        eprintln!("Nothing drifted maps back to the spec; nothing was changed.");
                        actions.close().await;
                        ExitCode::from(if refused.is_empty() { 0 } else { 3 })
                    }
                }
            }
            Err(err) => failed(&actions, &err).await,
        };
    }
    let checked = actions.drift(&target.entry, &target.id).await;
    actions.close().await;
    match checked {
        Ok(report) => {
            if args.common.json() {
                crate::output::json(&report, true);
            } else {
                print(&report);
            }
            ExitCode::from(if report.fields.is_empty() { 0 } else { 3 })
        }
        Err(err) => {
            eprintln!("error: {}", tenantry_core::error::chain(&err));
            ExitCode::from(1)
        }
    }
}

async fn failed(actions: &tenantry_core::actions::Actions, err: &tenantry_core::actions::ActionError) -> ExitCode {
    eprintln!("error: {}", tenantry_core::error::chain(err));
    actions.close().await;
    ExitCode::from(1)
}

fn print(report: &DriftReport) {
    if report.fields.is_empty() {
        println!("No drift: the live objects match what the spec renders.");
    } else {
        println!(
            "{:<28} {:<44} {:<22} {:<22} {:<22} ACCEPTS AS",
            "OBJECT", "FIELD", "LIVE", "SPEC RENDERS", "CHANGED BY"
        );
        for field in &report.fields {
            let by = match (&field.manager, &field.at) {
                (Some(manager), Some(at)) => format!("{manager} at {at}"),
                (Some(manager), None) => manager.clone(),
                _ => "—".to_owned(),
            };
            println!(
                "{:<28} {:<44} {:<22} {:<22} {:<22} {}",
                field.object,
                if field.path.is_empty() { "(missing)" } else { field.path.as_str() },
                field.live.as_deref().unwrap_or("(absent)"),
                field.rendered.as_deref().unwrap_or("(absent)"),
                by,
                field.accepts_as.as_deref().unwrap_or("— (sync takes it back)"),
            );
        }
    }
    for note in &report.notes {
        println!("note: {note}");
    }
}
