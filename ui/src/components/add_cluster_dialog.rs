//! The dialog that adds a cluster by address and token, for users without a kubeconfig: the
//! backend checks the connection with the token before it keeps anything, then files the token
//! in the OS keyring. The token is never shown again.

use tenantry_model::{AddedClusterReport, NewCluster, UiError};
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::components::{FormError, Modal};
use crate::ipc;
use crate::state::editable::{Editable, FieldEdit};

/// Properties of [`AddClusterDialog`].
#[derive(Properties, PartialEq)]
pub struct AddClusterDialogProps {
    /// Closes the dialog without adding.
    pub on_close: Callback<()>,
    /// Called with what the cluster answered once it is added.
    pub on_added: Callback<AddedClusterReport>,
}

/// Name, server URL, certificate authority and token; Add checks and stores.
#[function_component(AddClusterDialog)]
pub fn add_cluster_dialog(props: &AddClusterDialogProps) -> Html {
    let form = use_reducer(|| {
        Editable(NewCluster {
            name: String::new(),
            server: String::new(),
            certificate_authority: String::new(),
            token: String::new(),
        })
    });
    let checking = use_state(|| false);
    let error = use_state(|| None::<UiError>);
    let edit = |update: fn(&mut NewCluster, String)| {
        let form = form.clone();
        Callback::from(move |event: InputEvent| {
            let value = event
                .target_dyn_into::<HtmlInputElement>()
                .map(|input| input.value())
                .or_else(|| event.target_dyn_into::<HtmlTextAreaElement>().map(|area| area.value()))
                .unwrap_or_default();
            form.dispatch(FieldEdit { update, value });
        })
    };
    let on_add = {
        let (form, checking, error, on_added) = (form.clone(), checking.clone(), error.clone(), props.on_added.clone());
        Callback::from(move |_| {
            let (request, checking, error, on_added) =
                (form.0.clone(), checking.clone(), error.clone(), on_added.clone());
            checking.set(true);
            error.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                match ipc::add_cluster(&request).await {
                    Ok(report) => on_added.emit(report),
                    Err(problem) => error.set(Some(problem)),
                }
                checking.set(false);
            });
        })
    };
    let close = props.on_close.reform(|_| ());
    let complete = !form.name.trim().is_empty() && !form.server.trim().is_empty() && !form.token.trim().is_empty();
    html! {
        <Modal id="add-cluster-dialog" title={html! { "Add a cluster" }}
            explanation="For a cluster you reach with a token rather than a kubeconfig. Tenantry checks the connection first; the token is kept in the OS keyring, never in a file."
            buttons={html! { <>
                <button class="secondary" onclick={close} disabled={*checking}>{ "Cancel" }</button>
                <button class="primary" id="add-cluster-submit" onclick={on_add} disabled={*checking || !complete}>{ "Add cluster" }</button>
            </> }}>
            <fieldset class="form-fields add-cluster-fields" disabled={*checking}>
                <div class="form form-grid">
                    <label>{ "Name" }<input id="add-cluster-name" value={form.name.clone()} placeholder="prod-eu" oninput={edit(|f, v| f.name = v)} /></label>
                    <label>{ "Server" }<input id="add-cluster-server" value={form.server.clone()} placeholder="https://k8s.example.com:6443" oninput={edit(|f, v| f.server = v)} /></label>
                </div>
                <label class="stacked">{ "Certificate authority (PEM, or a kubeconfig's certificate-authority-data; empty trusts the system's roots)" }
                    <textarea id="add-cluster-ca" rows="4" value={form.certificate_authority.clone()} placeholder="-----BEGIN CERTIFICATE-----" oninput={edit(|f, v| f.certificate_authority = v)} />
                </label>
                <label class="stacked">{ "Token" }
                    <input id="add-cluster-token" type="password" autocomplete="off" value={form.token.clone()} oninput={edit(|f, v| f.token = v)} />
                </label>
            </fieldset>
            if *checking { <p class="muted" aria-busy="true">{ "Checking the connection with this token…" }</p> }
            if let Some(problem) = &*error {
                <FormError error={problem.clone()} id="add-cluster-error" />
            }
        </Modal>
    }
}
