//! Rollouts: the latest fleet changes, and one followed live — overall progress, per wave and
//! per tenant, counts, pace and time left; Pause, Resume, Abort, roll back the finished ones,
//! export the report, and open any tenant (a failed one, say) from its row.

use std::cell::RefCell;
use std::rc::Rc;

use tenantry_model::{Rollout, RolloutPlan, RolloutState, RolloutSummary, TenantState, UiError};
use web_sys::{HtmlElement, HtmlInputElement};
use yew::prelude::*;

use crate::components::{Modal, Notice, PlanSummary};
use crate::hooks::{ago, use_clock, use_ticker, use_unfolding};
use crate::ipc;
use crate::pages::tenant_detail::TenantDetailPage;
use crate::state::fleet::FleetState;
use crate::state::rollout_view::Progress;
use crate::state::toast::{ToastAction, Toasts, Tone};

/// Tenant rows shown at once; a filter or search narrows the rest down.
const SHOWN_ROWS: usize = 300;
/// Tenant rows laid out in the view's first frame, and in each frame after until all are.
const FIRST_ROWS: usize = 40;
/// The states one can filter the tenants by, in the order the chips show them.
const STATES: [TenantState; 6] = [
    TenantState::Queued,
    TenantState::Running,
    TenantState::Converged,
    TenantState::Failed,
    TenantState::Skipped,
    TenantState::Waiting,
];

/// A command to the backend under way.
type Pending = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), UiError>>>>;

/// Properties of [`RolloutsPage`].
#[derive(Properties, PartialEq)]
pub struct RolloutsPageProps {
    /// The inventory, for the rows of tenants opened from a rollout.
    pub fleet: UseReducerHandle<FleetState>,
    /// The rollout shown, if one is.
    pub opened: Option<i64>,
    /// Shows a rollout, or the list.
    pub on_open: Callback<Option<i64>>,
}

/// The list, or one rollout.
#[function_component(RolloutsPage)]
pub fn rollouts_page(props: &RolloutsPageProps) -> Html {
    match props.opened {
        Some(id) => html! { <RolloutView {id} fleet={props.fleet.clone()} on_open={props.on_open.clone()} /> },
        None => html! { <RolloutList on_open={props.on_open.clone()} /> },
    }
}

/// Properties of [`RolloutList`].
#[derive(Properties, PartialEq)]
struct RolloutListProps {
    on_open: Callback<Option<i64>>,
}

/// The latest rollouts, newest first.
#[function_component(RolloutList)]
fn rollout_list(props: &RolloutListProps) -> Html {
    let listed = use_state(|| None::<Result<Vec<RolloutSummary>, UiError>>);
    let tick = use_ticker(5_000);
    let now = use_clock();
    {
        let listed = listed.clone();
        use_effect_with(tick, move |_| {
            wasm_bindgen_futures::spawn_local(async move { listed.set(Some(ipc::rollouts().await)) });
        });
    }
    html! {
        <section class="rollouts">
            {
                match &*listed {
                    None => html! { <div class="empty" aria-busy="true"><p>{ "Reading the rollouts…" }</p></div> },
                    Some(Err(error)) => html! { <Notice error={error.clone()} /> },
                    Some(Ok(rollouts)) if rollouts.is_empty() => html! {
                        <div class="empty"><h2>{ "No rollouts yet" }</h2>
                            <p class="muted">{ "Choose tenants in the fleet (checkboxes, ctrl- or shift-click), then \"Change … tenants\"." }</p></div>
                    },
                    Some(Ok(rollouts)) => html! {
                        <table class="clusters rollout-list">
                            <thead><tr><th>{ "#" }</th><th>{ "Change" }</th><th>{ "State" }</th><th>{ "Progress" }</th><th>{ "Reason" }</th><th>{ "By" }</th><th>{ "Planned" }</th></tr></thead>
                            <tbody>{ for rollouts.iter().map(|r| {
                                let id = r.id;
                                html! {
                                    <tr class="rollout-row" data-rollout={id.to_string()} onclick={props.on_open.reform(move |_: MouseEvent| Some(id))}>
                                        <td>{ format!("#{id}") }</td>
                                        <td>{ &r.title }</td>
                                        <td><span class={classes!("rollout-state", state_class(r.state))}>{ state_name(r.state) }</span></td>
                                        <td>{ format!("{} of {} ended · {} failed", r.converged + r.failed, r.total, r.failed) }</td>
                                        <td class="muted">{ &r.reason }</td>
                                        <td>{ &r.by }</td>
                                        <td>{ ago(&r.created, now) }</td>
                                    </tr>
                                }
                            }) }</tbody>
                        </table>
                    },
                }
            }
        </section>
    }
}

/// Properties of [`RolloutView`].
#[derive(Properties, PartialEq)]
struct RolloutViewProps {
    id: i64,
    fleet: UseReducerHandle<FleetState>,
    on_open: Callback<Option<i64>>,
}

/// Rollout `id` read whole; the changes asked next start from nothing (`generation` forgotten).
async fn whole(id: i64, generation: &RefCell<Option<u64>>) -> Result<Rollout, UiError> {
    *generation.borrow_mut() = None;
    ipc::rollout(id).await
}

/// One rollout, re-read every second while it runs.
#[function_component(RolloutView)]
fn rollout_view(props: &RolloutViewProps) -> Html {
    let id = props.id;
    // Set only when what the backend says changed, so an unchanged answer renders nothing.
    let rollout = use_state_eq(|| None::<Result<Rc<Rollout>, UiError>>);
    // The generation of what `rollout` holds, as the backend counts it (`rollout_changes`).
    let generation = use_mut_ref(|| None::<u64>);
    let tick = use_ticker(1_000);
    let now = use_clock();
    let filter = use_state(|| None::<TenantState>);
    let search = use_state(String::new);
    let opened = use_state(|| None::<(String, String)>);
    let roll_back = use_state(|| None::<RollBack>);
    let error = use_state(|| None::<UiError>);
    let toasts = use_context::<UseReducerHandle<Toasts>>();
    let bar = use_node_ref();
    let running = matches!(&*rollout, Some(Ok(r)) if r.state == RolloutState::Running);
    {
        let (rollout, generation) = (rollout.clone(), generation.clone());
        // Every second while it runs; every fifth second otherwise (another process may run it).
        let due = if running { tick } else { tick / 5 };
        use_effect_with((id, due), move |(id, _)| {
            let id = *id;
            // The whole rollout once; then only what changes, applied to it.
            let known = match &*rollout {
                Some(Ok(known)) if known.id == id => Some(Rc::clone(known)),
                _ => None,
            };
            let generation = generation.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let since = known.as_ref().and(*generation.borrow());
                let next = match known {
                    Some(known) => match ipc::rollout_changes(id, since).await {
                        Ok(changes) => {
                            *generation.borrow_mut() = Some(changes.generation);
                            if changes.change_nothing_in(&known) {
                                return;
                            }
                            match known.with_changes(changes) {
                                Some(next) => Ok(next),
                                None => whole(id, &generation).await,
                            }
                        }
                        Err(error) => Err(error),
                    },
                    None => whole(id, &generation).await,
                };
                rollout.set(Some(next.map(Rc::new)));
            });
        });
    }
    // Recomputed when the rollout changes (or the clock ticks), not on every fleet update.
    let progress = use_memo(((*rollout).clone(), now), |(rollout, _)| match rollout {
        Some(Ok(r)) => Some(Rc::new(Progress::of(r, js_sys::Date::now(), parse_time))),
        _ => None,
    });
    let progress = (*progress).clone();
    {
        let bar = bar.clone();
        let share = progress.as_ref().map_or(0.0, |p| if p.total == 0 { 1.0 } else { p.ended as f64 / p.total as f64 });
        use_effect_with((share * 1000.0) as u32, move |_| {
            if let Some(bar) = bar.cast::<HtmlElement>() {
                let _ = bar.style().set_property("width", &format!("{:.1}%", share * 100.0));
            }
        });
    }
    if let Some((cluster, tenant)) = (*opened).clone() {
        let row = props.fleet.tenants.get(&(cluster.clone(), tenant.clone())).cloned();
        let opened = opened.clone();
        return html! { <TenantDetailPage {cluster} id={tenant} {row} on_back={Callback::from(move |()| opened.set(None))} /> };
    }
    let back = props.on_open.reform(|_: MouseEvent| None);
    let (rollout, progress) = match (&*rollout, progress) {
        (None, _) => return html! { <div class="empty" aria-busy="true"><p>{ "Reading the rollout…" }</p></div> },
        (Some(Err(error)), _) => {
            return html! { <section class="rollout-view"><button class="link" onclick={back}>{ "← All rollouts" }</button><Notice error={error.clone()} /></section> };
        }
        (Some(Ok(rollout)), Some(progress)) => (rollout.clone(), progress),
        (Some(Ok(_)), None) => return html! {},
    };
    let command = |call: fn(i64) -> Pending| {
        let error = error.clone();
        Callback::from(move |_: MouseEvent| {
            let error = error.clone();
            wasm_bindgen_futures::spawn_local(async move {
                error.set(call(id).await.err());
            });
        })
    };
    let on_pause = command(|id| Box::pin(ipc::pause_rollout(id)));
    let on_resume = command(|id| Box::pin(ipc::start_rollout(id)));
    let on_abort = command(|id| Box::pin(ipc::abort_rollout(id)));
    let on_export = Callback::from(move |_: MouseEvent| {
        let toasts = toasts.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let (tone, message) = match ipc::export_rollout(id).await {
                Ok(path) => (Tone::Good, format!("Report saved as {path}")),
                Err(error) => (Tone::Bad, error.message),
            };
            if let Some(toasts) = toasts {
                toasts.dispatch(ToastAction::Raise(tone, message, js_sys::Date::now()));
            }
        });
    });
    let on_roll_back = {
        let roll_back = roll_back.clone();
        Callback::from(move |_: MouseEvent| roll_back.set(Some(RollBack::Asking(String::new()))))
    };
    let state = rollout.state;
    let resumable = matches!(state, RolloutState::Paused | RolloutState::Stopped | RolloutState::Planned);
    let abortable =
        matches!(state, RolloutState::Running | RolloutState::Paused | RolloutState::Stopped | RolloutState::Planned);
    let can_roll_back =
        !running && progress.count(TenantState::Converged) > 0 && !rollout.title.starts_with("roll back");
    let pace = match (progress.per_minute, progress.eta_seconds) {
        (Some(rate), Some(eta)) => {
            format!("{rate:.1} tenants/min · about {} left", tenantry_model::format_age(eta as i64))
        }
        (Some(rate), None) => format!("{rate:.1} tenants/min"),
        _ => String::new(),
    };
    let chip = |state: Option<TenantState>, label: String| {
        let filter = filter.clone();
        let active = *filter == state;
        html! {
            <button class={classes!("chip", "state-chip", state.map(|s| format!("state-{}", state_key(s))), active.then_some("active"))}
                    data-state={state.map_or("all", state_key)} onclick={Callback::from(move |_: MouseEvent| filter.set(state))}>
                { label }
            </button>
        }
    };
    html! {
        <section class="rollout-view" id="rollout-view" data-rollout={id.to_string()} data-state={state_class(state)}>
            <button class="link" id="rollouts-back" onclick={back}>{ "← All rollouts" }</button>
            <div class="rollout-head">
                <div>
                    <h2>{ format!("#{id} {}", rollout.title) }
                        <span class={classes!("rollout-state", state_class(state))} id="rollout-state">{ state_name(state) }</span></h2>
                    <p class="muted">{ format!("{} · by {} · planned {}", if rollout.reason.is_empty() { "no reason given" } else { &rollout.reason }, rollout.by, ago(&rollout.created, now)) }</p>
                    if !rollout.message.is_empty() { <p class={classes!("rollout-message", (state == RolloutState::Stopped).then_some("bad"))} id="rollout-message">{ &rollout.message }</p> }
                </div>
                <div class="rollout-commands">
                    if running { <button class="secondary" id="rollout-pause" onclick={on_pause}>{ "Pause" }</button> }
                    if resumable { <button class="primary" id="rollout-resume" onclick={on_resume}>{ if state == RolloutState::Planned { "Start" } else { "Resume" } }</button> }
                    if abortable { <button class="secondary danger" id="rollout-abort" onclick={on_abort} title="The tenants in flight finish; no more start.">{ "Abort" }</button> }
                    if can_roll_back { <button class="secondary" id="rollout-roll-back" onclick={on_roll_back}>{ "Roll back the finished ones" }</button> }
                    <button class="secondary" id="rollout-export" onclick={on_export}>{ "Export report (CSV)" }</button>
                </div>
            </div>
            if let Some(error) = &*error { <Notice error={error.clone()} /> }
            <div class="rollout-progress">
                <div class="progress-track"><div class="progress-fill" ref={bar}></div></div>
                <span id="rollout-counts">{ format!("{} of {} ended · {} converged · {} failed", progress.ended, progress.total,
                    progress.count(TenantState::Converged), progress.count(TenantState::Failed)) }</span>
                <span class="muted" id="rollout-pace">{ pace }</span>
            </div>
            <table class="clusters waves" id="rollout-waves">
                <thead><tr><th>{ "Wave" }</th><th class="num">{ "Tenants" }</th><th class="num">{ "Converged" }</th><th class="num">{ "Failed" }</th><th class="num">{ "Running" }</th><th class="num">{ "Queued" }</th><th>{ "Standing" }</th></tr></thead>
                <tbody>{ for progress.waves.iter().map(|w| {
                    let n = |s| w.counts.get(&s).copied().unwrap_or(0);
                    html! { <tr class={classes!("wave-row", format!("wave-{}", w.standing))}>
                        <td>{ if w.wave == 0 { "canary".to_owned() } else { format!("wave {}", w.wave) } }</td>
                        <td class="num">{ w.tenants }</td><td class="num">{ n(TenantState::Converged) }</td><td class="num">{ n(TenantState::Failed) }</td>
                        <td class="num">{ n(TenantState::Running) }</td><td class="num">{ n(TenantState::Queued) + n(TenantState::Waiting) }</td>
                        <td><span class={classes!("standing", format!("standing-{}", w.standing))}>{ w.standing }</span></td>
                    </tr> }
                }) }</tbody>
            </table>
            <div class="toolbar">
                { chip(None, format!("all {}", rollout.tenants.len())) }
                { for STATES.iter().filter(|s| progress.count(**s) > 0).map(|s| chip(Some(*s), format!("{} {}", state_key(*s), progress.count(*s)))) }
                <input class="search" id="rollout-search" type="search" placeholder="Find a tenant or a reason" value={(*search).clone()}
                    oninput={{ let search = search.clone(); Callback::from(move |e: InputEvent| search.set(e.target_unchecked_into::<HtmlInputElement>().value())) }} />
            </div>
            <TenantRows rollout={rollout.clone()} filter={*filter} search={(*search).clone()} opened={opened.clone()} />
            if let Some(step) = (*roll_back).clone() {
                <RollBackDialog {id} {step} on_step={{ let roll_back = roll_back.clone(); Callback::from(move |s| roll_back.set(s)) }}
                    on_started={props.on_open.reform(Some)} />
            }
        </section>
    }
}

/// Properties of [`TenantRows`].
#[derive(Properties, PartialEq)]
struct TenantRowsProps {
    rollout: Rc<Rollout>,
    filter: Option<TenantState>,
    search: String,
    /// Set to the tenant a row opens.
    opened: UseStateHandle<Option<(String, String)>>,
}

/// The rollout's tenants passing the filter and search (the first [`SHOWN_ROWS`], laid out
/// [`FIRST_ROWS`] a frame when the view opens); its own component, so it renders again only
/// when they change — not on every fleet update.
#[function_component(TenantRows)]
fn tenant_rows(props: &TenantRowsProps) -> Html {
    let unfolded = use_unfolding(SHOWN_ROWS, FIRST_ROWS);
    let needle = props.search.to_lowercase();
    let matching: Vec<&tenantry_model::RolloutTenant> = props
        .rollout
        .tenants
        .iter()
        .filter(|t| props.filter.is_none_or(|s| t.state == s))
        .filter(|t| {
            needle.is_empty()
                || t.tenant.contains(&needle)
                || t.context.contains(&needle)
                || t.message.to_lowercase().contains(&needle)
        })
        .collect();
    html! {
        <>
            <table class="clusters rollout-tenants" id="rollout-tenants">
                <thead><tr><th>{ "Tenant" }</th><th>{ "Wave" }</th><th>{ "Before" }</th><th>{ "After" }</th><th>{ "State" }</th><th>{ "Why / outcome" }</th></tr></thead>
                <tbody>{ for matching.iter().take(unfolded).map(|t| html! {
                    <TenantRow key={format!("{}/{}", t.context, t.tenant)} tenant={(*t).clone()} opened={props.opened.clone()} />
                }) }</tbody>
            </table>
            if matching.len() > SHOWN_ROWS {
                <p class="muted">{ format!("{} more — filter by state or search to see them.", matching.len() - SHOWN_ROWS) }</p>
            }
        </>
    }
}

/// Properties of [`TenantRow`].
#[derive(Properties, PartialEq)]
struct TenantRowProps {
    tenant: tenantry_model::RolloutTenant,
    /// Set to the tenant when the row is opened.
    opened: UseStateHandle<Option<(String, String)>>,
}

/// One tenant of a rollout; rendered again only when that tenant changed.
#[function_component(TenantRow)]
fn tenant_row(props: &TenantRowProps) -> Html {
    let t = &props.tenant;
    let onclick = {
        let (opened, key) = (props.opened.clone(), (t.context.clone(), t.tenant.clone()));
        Callback::from(move |_: MouseEvent| opened.set(Some(key.clone())))
    };
    html! {
        <tr class={classes!("rollout-tenant", format!("state-{}", state_key(t.state)))} data-tenant={t.tenant.clone()} data-cluster={t.context.clone()}
            {onclick} title="Open this tenant">
            <td><button class="link open-tenant" title={format!("Open {}", t.tenant)}><code>{ &t.tenant }</code></button>
                <div class="muted">{ &t.context }</div></td>
            <td>{ if t.wave == 0 { "canary".to_owned() } else { t.wave.to_string() } }</td>
            <td>{ &t.before }</td><td>{ &t.after }</td>
            <td><span class={classes!("tenant-state", format!("state-{}", state_key(t.state)))}>{ t.state.name() }</span></td>
            <td class="message">{ &t.message }</td>
        </tr>
    }
}

/// Where the roll back dialog stands.
#[derive(Clone, PartialEq)]
enum RollBack {
    /// Asking for the reason.
    Asking(String),
    /// The plan, waiting for Start.
    Planned(Rc<RolloutPlan>),
}

/// Properties of [`RollBackDialog`].
#[derive(Properties, PartialEq)]
struct RollBackDialogProps {
    id: i64,
    step: RollBack,
    on_step: Callback<Option<RollBack>>,
    on_started: Callback<i64>,
}

/// Rolls the finished tenants of a rollout back, in waves: the reason, then the plan.
#[function_component(RollBackDialog)]
fn roll_back_dialog(props: &RollBackDialogProps) -> Html {
    let error = use_state(|| None::<UiError>);
    let id = props.id;
    let on_cancel = {
        let (on_step, step) = (props.on_step.clone(), props.step.clone());
        Callback::from(move |_: MouseEvent| {
            if let RollBack::Planned(plan) = &step {
                let planned = plan.rollout.id;
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = ipc::abort_rollout(planned).await;
                });
            }
            on_step.emit(None);
        })
    };
    let on_plan = {
        let (on_step, step, error) = (props.on_step.clone(), props.step.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            let RollBack::Asking(reason) = &step else { return };
            let (on_step, error, reason) = (on_step.clone(), error.clone(), reason.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match ipc::plan_roll_back_rollout(id, &reason).await {
                    Ok(plan) => on_step.emit(Some(RollBack::Planned(Rc::new(plan)))),
                    Err(failed) => error.set(Some(failed)),
                }
            });
        })
    };
    let on_start = {
        let (step, error, on_started, on_step) =
            (props.step.clone(), error.clone(), props.on_started.clone(), props.on_step.clone());
        Callback::from(move |_: MouseEvent| {
            let RollBack::Planned(plan) = &step else { return };
            let (planned, error, on_started, on_step) =
                (plan.rollout.id, error.clone(), on_started.clone(), on_step.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match ipc::start_rollout(planned).await {
                    Ok(()) => {
                        on_step.emit(None);
                        on_started.emit(planned);
                    }
                    Err(failed) => error.set(Some(failed)),
                }
            });
        })
    };
    html! {
        <Modal id="roll-back-dialog" class="modal-wide" title={html! { <>{ format!("Roll back rollout #{id}") }</> }}
            explanation="Each converged tenant goes back to its spec before the rollout (a new revision), in waves like the rollout."
            buttons={html! { <>
                <button class="secondary" onclick={on_cancel}>{ "Cancel" }</button>
                {
                    match &props.step {
                        RollBack::Asking(_) => html! { <button class="primary" id="roll-back-plan" onclick={on_plan}>{ "Plan" }</button> },
                        RollBack::Planned(_) => html! { <button class="primary" id="roll-back-start" onclick={on_start}>{ "Start roll back" }</button> },
                    }
                }
            </> }}>
            {
                match &props.step {
                    RollBack::Asking(reason) => {
                        let on_step = props.on_step.clone();
                        html! { <label class="reason-field">{ "Reason" }<input id="roll-back-reason" value={reason.clone()} placeholder="e.g. TICKET-1234"
                            oninput={Callback::from(move |e: InputEvent| on_step.emit(Some(RollBack::Asking(e.target_unchecked_into::<HtmlInputElement>().value()))))} /></label> }
                    }
                    RollBack::Planned(plan) => html! { <PlanSummary plan={(**plan).clone()} /> },
                }
            }
            if let Some(error) = &*error { <Notice error={error.clone()} /> }
        </Modal>
    }
}

/// An RFC 3339 time as ms since the epoch.
fn parse_time(text: &str) -> Option<f64> {
    let ms = js_sys::Date::parse(text);
    (!ms.is_nan()).then_some(ms)
}

/// A tenant state as a short key (CSS classes, filter chips).
fn state_key(state: TenantState) -> &'static str {
    match state {
        TenantState::Waiting => "waiting",
        other => other.name(),
    }
}

fn state_name(state: RolloutState) -> &'static str {
    match state {
        RolloutState::Planned => "planned",
        RolloutState::Running => "running",
        RolloutState::Paused => "paused",
        RolloutState::Stopped => "stopped by the gate",
        RolloutState::Aborted => "aborted",
        RolloutState::Finished => "finished",
    }
}

fn state_class(state: RolloutState) -> &'static str {
    match state {
        RolloutState::Planned => "planned",
        RolloutState::Running => "running",
        RolloutState::Paused => "paused",
        RolloutState::Stopped => "stopped",
        RolloutState::Aborted => "aborted",
        RolloutState::Finished => "finished",
    }
}
