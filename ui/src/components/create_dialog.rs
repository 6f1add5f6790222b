//! The dialog that creates a tenant: cluster, id, names, domains, version, plan and pods, in the
//! shared [`ActionFrame`] (dry run, progress, outcome).

use std::rc::Rc;

use yew::prelude::*;

use crate::components::action_frame::{ActionFrame, ActionRunnerProp, edit_field};
use crate::hooks::use_action_flow;
use crate::state::action_form::NewTenantInput;
use crate::state::editable::Editable;

/// Plans a tenant can be created with.
const PLANS: [&str; 3] = ["small", "medium", "large"];

/// Properties of [`CreateDialog`].
#[derive(Properties, PartialEq)]
pub struct CreateDialogProps {
    /// Clusters that are live (contexts).
    pub clusters: Vec<String>,
    /// Closes the dialog.
    pub on_close: Callback<()>,
    /// Called when the create ended.
    pub on_ended: Callback<()>,
}

/// The new-tenant form.
#[function_component(CreateDialog)]
pub fn create_dialog(props: &CreateDialogProps) -> Html {
    let form = use_reducer(|| Editable(NewTenantInput::new(props.clusters.first().cloned().unwrap_or_default())));
    let runner = use_action_flow(props.on_ended.clone());
    let flow = runner.flow.clone();
    let edit = |update: fn(&mut NewTenantInput, String)| edit_field(&form, &flow, update);
    let text = |id: &str, label: &str, value: &str, placeholder: &str, update: fn(&mut NewTenantInput, String)| {
        html! {
            <label>{ label.to_owned() }<input id={id.to_owned()} value={value.to_owned()} placeholder={placeholder.to_owned()} onchange={edit(update)} /></label>
        }
    };
    html! {
        <ActionFrame title="New tenant" explanation="Creates the tenant's namespace and the objects of the web blueprint (quota, config, credentials, media volume, app, service, ingress, backups, isolation); it is running when this ends."
                     apply_label="Create" request={form.request()} on_close={props.on_close.clone()} runner={ActionRunnerProp(Rc::new(runner))}>
            <div class="form form-grid">
                <label>{ "Cluster" }
                    <select id="create-cluster" onchange={edit(|f, v| f.cluster = v)}>
                        { for props.clusters.iter().map(|c| html! { <option value={c.clone()} selected={form.cluster == *c}>{ c }</option> }) }
                    </select>
                </label>
                { text("create-id", "Tenant id", &form.id, "alder-books", |f, v| f.id = v) }
                { text("create-name", "Name", &form.name, "Alder Books shop", |f, v| f.name = v) }
                { text("create-customer", "Customer", &form.customer, "Alder Books Ltd", |f, v| f.customer = v) }
                { text("create-domains", "Domains", &form.domains, "shop.alder.example", |f, v| f.domains = v) }
                { text("create-version", "Version", &form.version, "6.5.1", |f, v| f.version = v) }
                <label>{ "Plan" }
                    <select id="create-plan" onchange={edit(|f, v| f.plan = v)}>
                        { for PLANS.iter().map(|plan| html! { <option value={*plan} selected={form.plan == *plan}>{ *plan }</option> }) }
                    </select>
                </label>
                <label>{ "Pods" }<input id="create-replicas" type="number" min="0" value={form.replicas.clone()} onchange={edit(|f, v| f.replicas = v)} /></label>
                { text("create-reason", "Reason", &form.reason, "ticket or note, kept in the audit log", |f, v| f.reason = v) }
            </div>
        </ActionFrame>
    }
}
