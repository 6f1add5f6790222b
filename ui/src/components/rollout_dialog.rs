//! The fleet change dialog: what to do to the chosen tenants, how to roll it out and why; then
//! the plan (what changes, what is skipped, the waves) before anything runs.

use std::rc::Rc;

use tenantry_model::{RolloutPlan, UiError};
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::components::{Modal, Notice, PlanSummary};
use crate::ipc;
use crate::state::rollout_form::{BulkAction, RolloutForm};
use crate::state::selection::Key;

/// Properties of [`RolloutDialog`].
#[derive(Properties, PartialEq)]
pub struct RolloutDialogProps {
    /// The chosen tenants, in the order the rollout takes them.
    pub targets: Vec<Key>,
    /// Closes the dialog (a plan not started is discarded).
    pub on_close: Callback<()>,
    /// The rollout started: its id.
    pub on_started: Callback<i64>,
}

/// Where the dialog stands.
#[derive(Clone, PartialEq)]
enum Step {
    /// The form.
    Editing,
    /// Asking the backend for the plan.
    Planning,
    /// The plan, waiting for Start.
    Planned(Rc<RolloutPlan>),
}

/// The form, then the plan.
#[function_component(RolloutDialog)]
pub fn rollout_dialog(props: &RolloutDialogProps) -> Html {
    let stamp = use_memo((), |()| {
        let now = js_sys::Date::new_0();
        format!(
            "{:04}{:02}{:02}-{:02}{:02}",
            now.get_full_year(),
            now.get_month() + 1,
            now.get_date(),
            now.get_hours(),
            now.get_minutes()
        )
    });
    let form = use_state(|| RolloutForm::new(props.targets.len(), &stamp));
    let step = use_state(|| Step::Editing);
    let problem = use_state(|| None::<String>);
    let error = use_state(|| None::<UiError>);
    // Editing clears the mistake named last: the next Plan checks again.
    let edit = |update: fn(&mut RolloutForm, String)| {
        let (form, problem) = (form.clone(), problem.clone());
        Callback::from(move |event: Event| {
            let target = event.target();
            let value = target
                .as_ref()
                .and_then(|t| wasm_bindgen::JsCast::dyn_ref::<HtmlInputElement>(t).map(HtmlInputElement::value))
                .or_else(|| {
                    target.as_ref().and_then(|t| {
                        wasm_bindgen::JsCast::dyn_ref::<HtmlSelectElement>(t).map(HtmlSelectElement::value)
                    })
                })
                .or_else(|| {
                    target.as_ref().and_then(|t| {
                        wasm_bindgen::JsCast::dyn_ref::<HtmlTextAreaElement>(t).map(HtmlTextAreaElement::value)
                    })
                })
                .unwrap_or_default();
            let mut next = (*form).clone();
            update(&mut next, value);
            form.set(next);
            problem.set(None);
        })
    };
    let text = |id: &str, label: &str, value: &str, placeholder: &str, update: fn(&mut RolloutForm, String)| {
        html! { <label>{ label.to_owned() }<input id={id.to_owned()} value={value.to_owned()} placeholder={placeholder.to_owned()}
        oninput={edit(update).reform(Event::from)} /></label> }
    };
    let number = |id: &str, label: &str, value: &str, title: &str, update: fn(&mut RolloutForm, String)| {
        html! { <label title={title.to_owned()}>{ label.to_owned() }<input id={id.to_owned()} type="number" min="0" value={value.to_owned()}
        oninput={edit(update).reform(Event::from)} /></label> }
    };
    let discard = |plan: &RolloutPlan| {
        let id = plan.rollout.id;
        wasm_bindgen_futures::spawn_local(async move {
            let _ = ipc::abort_rollout(id).await;
        });
    };
    let on_plan = {
        let (form, step, problem, error, targets) =
            (form.clone(), step.clone(), problem.clone(), error.clone(), props.targets.clone());
        Callback::from(move |_: MouseEvent| {
            let asked = form.change().and_then(|change| {
                let canary = form.canary_tenants(&targets)?;
                let mut settings = form.settings()?;
                if !canary.is_empty() {
                    settings.canary = canary.len();
                }
                Ok((change, canary, settings, form.reason()?))
            });
            let (change, canary, settings, reason) = match asked {
                Ok(asked) => asked,
                Err(why) => return problem.set(Some(why)),
            };
            problem.set(None);
            error.set(None);
            step.set(Step::Planning);
            let (step, error, targets) = (step.clone(), error.clone(), targets.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match ipc::plan_rollout(&change, &targets, &canary, &settings, &reason).await {
                    Ok(plan) => step.set(Step::Planned(Rc::new(plan))),
                    Err(failed) => {
                        error.set(Some(failed));
                        step.set(Step::Editing);
                    }
                }
            });
        })
    };
    let on_back = {
        let step = step.clone();
        Callback::from(move |_: MouseEvent| {
            if let Step::Planned(plan) = &*step {
                discard(plan);
            }
            step.set(Step::Editing);
        })
    };
    let on_cancel = {
        let (step, on_close) = (step.clone(), props.on_close.clone());
        Callback::from(move |_: MouseEvent| {
            if let Step::Planned(plan) = &*step {
                discard(plan);
            }
            on_close.emit(());
        })
    };
    let on_start = {
        let (step, error, on_started) = (step.clone(), error.clone(), props.on_started.clone());
        Callback::from(move |_: MouseEvent| {
            let Step::Planned(plan) = &*step else { return };
            let (id, error, on_started) = (plan.rollout.id, error.clone(), on_started.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match ipc::start_rollout(id).await {
                    Ok(()) => on_started.emit(id),
                    Err(failed) => error.set(Some(failed)),
                }
            });
        })
    };
    let clusters = {
        let mut clusters: Vec<&str> = props.targets.iter().map(|(c, _)| c.as_str()).collect();
        clusters.sort_unstable();
        clusters.dedup();
        clusters.len()
    };
    let editing = matches!(*step, Step::Editing | Step::Planning);
    let fields = match form.action {
        BulkAction::Update => html! {
            <>
                { text("rollout-version", "Version", &form.version, "keep", |f, v| f.version = v) }
                <label>{ "Plan" }<select id="rollout-plan-name" onchange={edit(|f, v| f.plan = v)}>
                    { for ["", "small", "medium", "large"].iter().map(|p| html! {
                        <option value={*p} selected={form.plan == *p}>{ if p.is_empty() { "keep" } else { p } }</option> }) }
                </select></label>
                <label class="wide">{ "Config keys" }<textarea id="rollout-config" rows="2" placeholder="KEY=VALUE sets a key · -KEY removes it · other keys stay"
                    value={form.config.clone()} oninput={edit(|f, v| f.config = v).reform(Event::from)} /></label>
                <label class="wide">{ "Blueprint parameters" }<textarea id="rollout-parameters" rows="1" placeholder="NAME=VALUE"
                    value={form.parameters.clone()} oninput={edit(|f, v| f.parameters = v).reform(Event::from)} /></label>
            </>
        },
        BulkAction::Scale => html! {
            <>
                <label>{ "How" }<select id="rollout-scale-mode" onchange={edit(|f, v| f.relative = v == "by")}>
                    <option value="to" selected={!form.relative}>{ "to a number of pods" }</option>
                    <option value="by" selected={form.relative}>{ "by more or fewer pods (+1, -1)" }</option>
                </select></label>
                { text("rollout-replicas", "Pods", &form.replicas, if form.relative { "+1" } else { "2" }, |f, v| f.replicas = v) }
            </>
        },
        BulkAction::Backup => text("rollout-backup", "Backup id", &form.backup, "", |f, v| f.backup = v),
        BulkAction::Adopt => html! {
            <>
                <label title="Tenants Tenantry already manages are skipped">{ "Blueprint" }<select id="rollout-blueprint" onchange={edit(|f, v| f.blueprint = v)}>
                    <option value="" selected={form.blueprint.is_empty()}>{ "None: record what runs" }</option>
                    <option value="web" selected={form.blueprint == "web"}>{ "web" }</option>
                </select></label>
                if !form.blueprint.is_empty() {
                    { text("rollout-version", "Version", &form.version, "read from each tenant", |f, v| f.version = v) }
                    <label>{ "Plan" }<select id="rollout-plan-name" onchange={edit(|f, v| f.plan = v)}>
                        { for ["", "small", "medium", "large"].iter().map(|p| html! {
                            <option value={*p} selected={form.plan == *p}>{ if p.is_empty() { "choose…" } else { p } }</option> }) }
                    </select></label>
                }
                <p class="muted wide">{ "Each tenant keeps its own name, customer, domains and sizes, read from what runs; its spec is recorded, with revisions and roll back from now on." }</p>
            </>
        },
        _ => html! {},
    };
    html! {
        <Modal id="rollout-dialog" class="modal-wide" title={html! { <>{ "Change tenants" }<span class="muted">{ format!(" — {} tenants on {clusters} clusters", props.targets.len()) }</span></> }}
            explanation="The change runs in waves: a canary first, then waves that each must stay healthy before the next starts. Nothing runs before you see the plan."
            buttons={html! { <>
                <button class="secondary" id="rollout-cancel" onclick={on_cancel}>{ "Cancel" }</button>
                if editing {
                    <button class="primary" id="rollout-plan-button" onclick={on_plan} disabled={*step == Step::Planning}>{ "Plan" }</button>
                } else {
                    <button class="secondary" id="rollout-back" onclick={on_back}>{ "Back" }</button>
                    <button class="primary" id="rollout-start" onclick={on_start}>{ "Start rollout" }</button>
                }
            </> }}>
            if editing {
                <fieldset class="form-fields" disabled={*step == Step::Planning}>
                    <div class="form form-grid">
                        <label>{ "Action" }<select id="rollout-action" onchange={edit(|f, v| {
                            f.action = BulkAction::ALL.into_iter().find(|a| a.label() == v).unwrap_or(BulkAction::Update);
                        })}>
                            { for BulkAction::ALL.iter().map(|a| html! { <option value={a.label()} selected={form.action == *a}>{ a.label() }</option> }) }
                        </select></label>
                        { fields }
                    </div>
                    <h3 class="form-section">{ "Waves" }</h3>
                    <div class="form form-waves">
                        { number("rollout-canary", "Canary", &form.canary, "Tenants changed first, spread over the clusters", |f, v| f.canary = v) }
                        { number("rollout-wave-size", "Wave size", &form.wave_size, "Tenants per later wave", |f, v| f.wave_size = v) }
                        { number("rollout-per-cluster", "At once per cluster", &form.per_cluster, "Tenants changed at the same time on one cluster", |f, v| f.per_cluster = v) }
                        { number("rollout-hold", "Hold (s)", &form.hold, "Seconds every tenant of a wave must stay healthy before the next wave", |f, v| f.hold = v) }
                        { number("rollout-max-failures", "Failures allowed", &form.max_failures, "Stop when more tenants than this have failed", |f, v| f.max_failures = v) }
                        { number("rollout-max-percent", "or %", &form.max_percent, "Stop when more than this share of the tenants tried so far failed", |f, v| f.max_percent = v) }
                        <label class="wide" title="These tenants, and only these, run first; the Canary number is then their count">{ "Canary tenants (optional)" }
                            <textarea id="rollout-canary-tenants" rows="1" placeholder="CLUSTER/ID, one per line — empty: the first ones, spread over the clusters"
                                value={form.canary_tenants.clone()} oninput={edit(|f, v| f.canary_tenants = v).reform(Event::from)} /></label>
                    </div>
                    <label class="reason-field">{ "Reason" }<input id="rollout-reason" value={form.reason.clone()} placeholder="e.g. TICKET-1234 — recorded on every tenant's audit entry"
                        oninput={edit(|f, v| f.reason = v).reform(Event::from)} /></label>
                </fieldset>
                if *step == Step::Planning { <p class="muted" aria-busy="true">{ "Planning: comparing renders and asking the server for a dry run of each group…" }</p> }
            }
            if let Step::Planned(plan) = &*step { <PlanSummary plan={(**plan).clone()} /> }
            if let Some(problem) = &*problem { <p class="form-error" role="alert">{ problem }</p> }
            if let Some(error) = &*error { <Notice error={error.clone()} /> }
        </Modal>
    }
}
