//! A tenant's drift: each field where the live objects differ from what the spec renders (the
//! server's dry run, checked when the panel opens), with who changed it and when; "Sync" takes
//! the drift back and "Accept" records the live pods, bounds or version into the spec, each
//! through the action pipeline with a reason, its progress and the audit log.

use tenantry_model::{ActionRequest, Change, DriftAcceptance, DriftReport, UiError};
use yew::prelude::*;

use crate::components::{ActionProgress, Notice};
use crate::hooks::use_action_flow;
use crate::ipc;

/// Properties of [`DriftPanel`].
#[derive(Properties, PartialEq)]
pub struct DriftPanelProps {
    /// The tenant's cluster (context).
    pub context: String,
    /// The tenant.
    pub id: String,
    /// Called when a sync or accept ended.
    pub on_ended: Callback<()>,
}

/// What the user is about to run.
#[derive(Clone, PartialEq)]
enum Confirm {
    Sync,
    Accept(Box<Result<DriftAcceptance, UiError>>),
}

/// The drift panel of one tenant.
#[function_component(DriftPanel)]
pub fn drift_panel(props: &DriftPanelProps) -> Html {
    let report = use_state(|| None::<Result<DriftReport, UiError>>);
    let checks = use_state(|| 0_u32);
    let confirm = use_state(|| None::<Confirm>);
    let reason = use_state(String::new);
    let on_ended = {
        let (checks, on_ended) = (checks.clone(), props.on_ended.clone());
        Callback::from(move |()| {
            checks.set(*checks + 1);
            on_ended.emit(());
        })
    };
    let runner = use_action_flow(on_ended);
    {
        let report = report.clone();
        use_effect_with((props.context.clone(), props.id.clone(), *checks), move |(context, id, _)| {
            report.set(None);
            let (context, id) = (context.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(async move { report.set(Some(ipc::tenant_drift(&context, &id).await)) });
        });
    }
    let check_again = {
        let checks = checks.clone();
        Callback::from(move |_: MouseEvent| checks.set(*checks + 1))
    };
    let ask_sync = {
        let confirm = confirm.clone();
        Callback::from(move |_: MouseEvent| confirm.set(Some(Confirm::Sync)))
    };
    let ask_accept = {
        let (confirm, context, id) = (confirm.clone(), props.context.clone(), props.id.clone());
        Callback::from(move |_: MouseEvent| {
            let (confirm, context, id) = (confirm.clone(), context.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                confirm.set(Some(Confirm::Accept(Box::new(ipc::accept_drift(&context, &id, "").await))));
            });
        })
    };
    let request: Option<ActionRequest> = match &*confirm {
        Some(Confirm::Sync) => Some(ActionRequest {
            context: props.context.clone(),
            tenant: props.id.clone(),
            change: Change::version_update(None),
            take_over: false,
            reason: String::new(),
        }),
        Some(Confirm::Accept(accepted)) => accepted.as_ref().as_ref().ok().and_then(|a| a.request.clone()),
        _ => None,
    };
    let run = {
        let (apply, reason, confirm) = (runner.apply.clone(), reason.clone(), confirm.clone());
        let request = request.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(request) = &request {
                apply.emit(ActionRequest { reason: (*reason).clone(), ..request.clone() });
                confirm.set(None);
            }
        })
    };
    let cancel = {
        let confirm = confirm.clone();
        Callback::from(move |_: MouseEvent| confirm.set(None))
    };
    let acceptable = matches!(&*report, Some(Ok(r)) if r.fields.iter().any(|f| f.accepts_as.is_some()));
    let drifted = matches!(&*report, Some(Ok(r)) if !r.fields.is_empty());
    html! {
        <div class="drift-panel">
            <div class="drift-head">
                { match &*report {
                    None => html! { <span class="muted" aria-busy="true">{ "Asking the server for a dry run of the spec's render…" }</span> },
                    Some(Ok(r)) if r.fields.is_empty() => html! { <span class="drift-none">{ "No drift: the live objects match what the spec renders." }</span> },
                    Some(Ok(r)) => html! { <span class="drift-found">{ summary(r) }</span> },
                    Some(Err(_)) => html! { <span class="muted">{ "Drift could not be checked." }</span> },
                } }
                <span class="spacer"></span>
                <button class="small" onclick={check_again}>{ "Check again" }</button>
                <button class="small drift-sync" disabled={!drifted} onclick={ask_sync}>{ "Sync…" }</button>
                <button class="small drift-accept" disabled={!acceptable} onclick={ask_accept}
                    title="Record the live pods, autoscaling bounds or version into the spec">{ "Accept…" }</button>
            </div>
            if let Some(confirm) = &*confirm {
                <div class="drift-confirm">
                    { match confirm {
                        Confirm::Accept(accepted) => match accepted.as_ref() {
                            Ok(DriftAcceptance { request, refused }) => html! {
                                <>
                                    <p>{ request.as_ref().map_or_else(|| "Nothing drifted maps back to the spec.".to_owned(), |r| format!("Accept records {} as a new revision of the spec.", describe(&r.change))) }</p>
                                    { for refused.iter().map(|r| html! { <p class="drift-refused">{ format!("Not recorded: {r}") }</p> }) }
                                </>
                            },
                            Err(error) => html! { <Notice error={error.clone()} /> },
                        },
                        Confirm::Sync => html! { <p>{ "Sync applies the spec's render again: every field below goes back to what the spec renders." }</p> },
                    } }
                    if request.is_some() {
                        <div class="drift-run">
                            <input class="drift-reason" placeholder="Reason (e.g. a ticket number)" value={(*reason).clone()}
                                oninput={{ let reason = reason.clone(); Callback::from(move |e: InputEvent| {
                                    if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() { reason.set(input.value()); }
                                }) }} />
                            <button class="primary drift-run-button" onclick={run}>{ if matches!(confirm, Confirm::Sync) { "Take the drift back" } else { "Record into the spec" } }</button>
                        </div>
                    }
                    <button class="small" onclick={cancel}>{ "Cancel" }</button>
                </div>
            }
            if !runner.flow.steps.is_empty() {
                <ActionProgress flow={(*runner.flow).clone()} />
                if let Some(outcome) = &runner.flow.outcome { <p class="drift-outcome">{ &outcome.message }</p> }
            }
            { match &*report {
                Some(Err(error)) => html! { <Notice error={error.clone()} /> },
                Some(Ok(r)) if !r.fields.is_empty() => table(r),
                _ => html! {},
            } }
            if let Some(Ok(r)) = &*report {
                { for r.notes.iter().map(|n| html! { <p class="drift-note">{ n }</p> }) }
            }
        </div>
    }
}

fn summary(report: &DriftReport) -> String {
    let mut objects: Vec<&str> = report.fields.iter().map(|f| f.object.as_str()).collect();
    objects.dedup();
    let by: Vec<&str> = {
        let mut by: Vec<&str> = report.fields.iter().filter_map(|f| f.manager.as_deref()).collect();
        by.sort_unstable();
        by.dedup();
        by
    };
    let who = if by.is_empty() { String::new() } else { format!(", changed by {}", by.join(", ")) };
    let plural = |n: usize, word: &str| if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") };
    format!(
        "Drifted: {} in {} {} from the spec{who}.",
        plural(report.fields.len(), "field"),
        plural(objects.len(), "object"),
        if report.fields.len() == 1 { "differs" } else { "differ" }
    )
}

fn table(report: &DriftReport) -> Html {
    html! {
        <table class="clusters drift-table">
            <thead><tr><th>{ "Object" }</th><th>{ "Field" }</th><th>{ "Live" }</th><th>{ "Spec renders" }</th><th>{ "Changed by" }</th><th>{ "Accept records" }</th></tr></thead>
            <tbody>
                { for report.fields.iter().map(|f| html! {
                    <tr class={classes!("drift-row", f.manager.is_some().then_some("drift-by-hand"))}>
                        <td><code>{ &f.object }</code></td>
                        <td><code>{ if f.path.is_empty() { "(missing)" } else { f.path.as_str() } }</code></td>
                        <td class="drift-live"><code>{ f.live.clone().unwrap_or_else(|| "(absent)".into()) }</code></td>
                        <td><code>{ f.rendered.clone().unwrap_or_else(|| "(absent)".into()) }</code></td>
                        <td>{ match (&f.manager, &f.at) {
                            (Some(m), Some(at)) => format!("{m}, {at}"),
                            (Some(m), None) => m.clone(),
                            _ => "—".to_owned(),
                        } }</td>
                        <td>{ f.accepts_as.clone().unwrap_or_else(|| "— (sync)".into()) }</td>
                    </tr>
                }) }
            </tbody>
        </table>
    }
}

/// What an Accept change records, in words.
fn describe(change: &Change) -> String {
    match change {
        Change::Update { version: Some(version), .. } => format!("version {version}"),
        Change::Scale { replicas: Some(n), .. } => format!("{n} pods"),
        Change::Scale { autoscaling: Some(b), .. } => format!("autoscaling {}–{}", b.min, b.max),
        _ => "the live values".to_owned(),
    }
}
