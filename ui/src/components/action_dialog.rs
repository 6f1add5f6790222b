//! The dialog of one action on one existing tenant: its form (in the shared [`ActionFrame`]),
//! with a typed confirmation for a delete.

use std::rc::Rc;

use tenantry_model::{ActionKind, ActionRequest, TenantSummary};
use yew::prelude::*;

use crate::components::action_frame::{ActionFrame, ActionRunnerProp, edit_field};
use crate::hooks::use_action_flow;
use crate::state::action_form::FormInput;
use crate::state::editable::Editable;

/// Plans a tenant can be moved to.
const PLANS: [&str; 3] = ["small", "medium", "large"];

/// Properties of [`ActionDialog`].
#[derive(Properties, PartialEq)]
pub struct ActionDialogProps {
    /// The tenant.
    pub tenant: TenantSummary,
    /// The action.
    pub kind: ActionKind,
    /// Closes the dialog.
    pub on_close: Callback<()>,
    /// Called when the action ended (to refresh what depends on it).
    pub on_ended: Callback<()>,
    /// The tenant's completed backups, newest first (for a restore).
    #[prop_or_default]
    pub backups: Vec<String>,
    /// The tenant's workloads as `Kind/name`, the main one first (to scale or restart one, on a
    /// tenant without a blueprint).
    #[prop_or_default]
    pub workloads: Vec<String>,
}

/// The action's title, as on its button.
pub fn title(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::Create => "Create",
        ActionKind::Update => "Update",
        ActionKind::Scale => "Scale",
        ActionKind::Restart => "Restart",
        ActionKind::Suspend => "Suspend",
        ActionKind::Resume => "Resume",
        ActionKind::Rollback => "Roll back",
        ActionKind::Backup => "Back up",
        ActionKind::Restore => "Restore",
        ActionKind::Delete => "Delete",
        ActionKind::Adopt => "Adopt",
    }
}

fn explanation(kind: ActionKind, tenant: &TenantSummary) -> String {
    let id = &tenant.id;
    if tenant.blueprint.is_empty() {
        match kind {
            ActionKind::Scale => return "Run a fixed number of pods of one workload.".into(),
            ActionKind::Restart => return "Replace the pods of every running workload, or of one, one by one.".into(),
            ActionKind::Suspend => {
                return "Scale every workload to zero; each size is remembered on the namespace for Resume.".into();
            }
            ActionKind::Resume => return "Bring every workload back to the size it had when it was suspended.".into(),
            ActionKind::Backup => return "Run the namespace's backup CronJob now, and wait until it completes.".into(),
            ActionKind::Delete => {
                return format!(
                    "Remove namespace {id} and everything in it. Tenantry has no spec of it, so it cannot be created again."
                );
            }
            _ => {}
        }
    }
    match kind {
        ActionKind::Adopt => "Make this a Tenantry tenant: its spec is recorded, with revisions, history and roll back from now on. Without a blueprint the spec records each workload's size; with one, the blueprint renders the tenant and its objects map onto those that exist.".into(),
        ActionKind::Scale => "Run a fixed number of pods, or let an autoscaler choose within bounds.".into(),
        ActionKind::Update => "Move the site to another app version or plan; pods are replaced one by one.".into(),
        ActionKind::Restart => "Replace the pods one by one; the site stays up while they restart.".into(),
        ActionKind::Suspend => "Scale the site to zero pods. Its size is remembered for Resume.".into(),
        ActionKind::Resume => "Bring the site back to the size it had before it was suspended.".into(),
        ActionKind::Rollback => "Go back to the spec of an earlier revision; this makes a new revision.".into(),
        ActionKind::Backup => "Take a backup now with the tenant's backup job, and wait until it completes.".into(),
        ActionKind::Restore => {
            "Restore the site's data from a backup: the site is scaled to zero, the backup restored, and the site started again.".into()
        }
        ActionKind::Delete => format!(
            "Remove namespace {id} and everything in it. The spec stays in the local cache, so the tenant can be created again."
        ),
        ActionKind::Create => String::new(),
    }
}

/// Form → Preview → Apply → progress → outcome.
#[function_component(ActionDialog)]
pub fn action_dialog(props: &ActionDialogProps) -> Html {
    let tenant = &props.tenant;
    let form = use_reducer(|| {
        let backup = match props.kind {
            ActionKind::Restore => props.backups.first().cloned().unwrap_or_default(),
            _ => new_backup_id(),
        };
        let mut form = FormInput::for_tenant(tenant, backup);
        if props.kind == ActionKind::Scale && tenant.blueprint.is_empty() {
            form.workload = props.workloads.first().cloned().unwrap_or_default();
        }
        Editable(form)
    });
    let runner = use_action_flow(props.on_ended.clone());
    let kind = props.kind;
    let request = form.change(kind).map(|change| ActionRequest {
        context: tenant.cluster.clone(),
        tenant: tenant.id.clone(),
        change,
        take_over: false,
        reason: form.reason.trim().to_owned(),
    });
    let flow = runner.flow.clone();
    let edit = |update: fn(&mut FormInput, String)| edit_field(&form, &flow, update);
    let confirmed = kind != ActionKind::Delete || form.confirm.trim() == tenant.id;
    html! {
        <ActionFrame title={format!("{} {}", title(kind), tenant.id)} place={format!(" on {}", tenant.cluster)}
                     explanation={explanation(kind, tenant)} apply_label={title(kind)} danger={kind == ActionKind::Delete}
                     {request} {confirmed} on_close={props.on_close.clone()} runner={ActionRunnerProp(Rc::new(runner))}>
            if tenant.blueprint.is_empty() && matches!(kind, ActionKind::Scale | ActionKind::Restart) {
                { workload_field(kind, &form, &edit, &props.workloads) }
            }
            { form_fields(kind, &form, &edit, tenant, &props.backups) }
            <div class="form">
                <label>{ "Reason" }<input id="action-reason" value={form.reason.clone()} placeholder="ticket or note, kept in the audit log"
                    onchange={edit(|f, v| f.reason = v)} /></label>
            </div>
        </ActionFrame>
    }
}

/// A fresh backup id from the clock: `manual-YYYYMMDD-HHMMSS` (UTC).
fn new_backup_id() -> String {
    let now = js_sys::Date::new_0();
    format!(
        "manual-{:04}{:02}{:02}-{:02}{:02}{:02}",
        now.get_utc_full_year(),
        now.get_utc_month() + 1,
        now.get_utc_date(),
        now.get_utc_hours(),
        now.get_utc_minutes(),
        now.get_utc_seconds()
    )
}

/// The workload a scale or restart of a tenant without a blueprint works on.
fn workload_field(
    kind: ActionKind,
    form: &FormInput,
    edit: &impl Fn(fn(&mut FormInput, String)) -> Callback<Event>,
    workloads: &[String],
) -> Html {
    html! {
        <div class="form">
            <label>{ "Workload" }
                <select id="action-workload" onchange={edit(|f, v| f.workload = v)}>
                    if kind == ActionKind::Restart {
                        <option value="" selected={form.workload.is_empty()}>{ "All running workloads" }</option>
                    }
                    { for workloads.iter().map(|w| html! { <option value={w.clone()} selected={form.workload == *w}>{ w }</option> }) }
                </select>
            </label>
        </div>
    }
}

/// The version and plan inputs (update, adopt with a blueprint).
fn version_and_plan(form: &FormInput, edit: &impl Fn(fn(&mut FormInput, String)) -> Callback<Event>) -> Html {
    html! {
        <>
            <label>{ "Version" }<input id="action-version" value={form.version.clone()} onchange={edit(|f, v| f.version = v)} /></label>
            <label>{ "Plan" }
                <select id="action-plan" onchange={edit(|f, v| f.plan = v)}>
                    { for PLANS.iter().map(|plan| html! { <option value={*plan} selected={form.plan == *plan}>{ *plan }</option> }) }
                </select>
            </label>
        </>
    }
}

/// The inputs of action `kind`.
fn form_fields(
    kind: ActionKind,
    form: &FormInput,
    edit: &impl Fn(fn(&mut FormInput, String)) -> Callback<Event>,
    tenant: &TenantSummary,
    backups: &[String],
) -> Html {
    match kind {
        ActionKind::Scale => html! {
            <div class="form">
                if !tenant.blueprint.is_empty() {
                    <label class="check"><input type="checkbox" checked={form.autoscale}
                        onchange={edit(|f, v| f.autoscale = v == "true")} />{ " Scale with the load (autoscaling)" }</label>
                }
                if form.autoscale {
                    <label>{ "Fewest pods" }<input id="action-min" type="number" min="1" value={form.min.clone()} onchange={edit(|f, v| f.min = v)} /></label>
                    <label>{ "Most pods" }<input id="action-max" type="number" min="1" value={form.max.clone()} onchange={edit(|f, v| f.max = v)} /></label>
                } else {
                    <label>{ "Pods" }<input id="action-replicas" type="number" min="0" value={form.replicas.clone()} onchange={edit(|f, v| f.replicas = v)} />
                        <span class="muted">{ format!(" now {} of {} ready", tenant.ready, tenant.desired) }</span></label>
                }
            </div>
        },
        ActionKind::Update => html! { <div class="form">{ version_and_plan(form, edit) }</div> },
        ActionKind::Rollback => html! {
            <div class="form">
                <label>{ "Back to revision" }<input id="action-revision" type="number" min="1" value={form.revision.clone()} onchange={edit(|f, v| f.revision = v)} />
                    <span class="muted">{ format!(" now at revision {}", tenant.revision) }</span></label>
            </div>
        },
        ActionKind::Delete => html! {
            <div class="form">
                <label>{ format!("Type {} to confirm", tenant.id) }
                    <input id="action-confirm" value={form.confirm.clone()} autocomplete="off"
                           oninput={edit(|f, v| f.confirm = v).reform(Event::from)} /></label>
            </div>
        },
        ActionKind::Backup => html! {
            <div class="form">
                <label>{ "Backup id" }<input id="action-backup" value={form.backup.clone()} onchange={edit(|f, v| f.backup = v)} /></label>
            </div>
        },
        ActionKind::Restore if backups.is_empty() => {
            html! { <p class="muted">{ "This tenant has no completed backup yet." }</p> }
        }
        ActionKind::Restore => html! {
            <div class="form">
                <label>{ "Backup" }
                    <select id="action-backup" onchange={edit(|f, v| f.backup = v)}>
                        { for backups.iter().map(|b| html! { <option value={b.clone()} selected={form.backup == *b}>{ b }</option> }) }
                    </select>
                </label>
            </div>
        },
        ActionKind::Adopt => html! {
            <div class="form">
                <label>{ "Blueprint" }
                    <select id="action-blueprint" onchange={edit(|f, v| f.blueprint = v)}>
                        <option value="" selected={form.blueprint.is_empty()}>{ "None: record what runs" }</option>
                        <option value="web" selected={form.blueprint == "web"}>{ "web" }</option>
                    </select>
                </label>
                <label>{ "Name" }<input id="action-display-name" value={form.display_name.clone()} onchange={edit(|f, v| f.display_name = v)} /></label>
                <label>{ "Customer" }<input id="action-customer" value={form.customer.clone()} onchange={edit(|f, v| f.customer = v)} /></label>
                if !form.blueprint.is_empty() {
                    { version_and_plan(form, edit) }
                }
            </div>
        },
        ActionKind::Restart | ActionKind::Suspend | ActionKind::Resume | ActionKind::Create => html! {},
    }
}
