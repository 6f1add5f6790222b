//! The clusters view: counts, the table of clusters (kubeconfig contexts and clusters added in
//! Tenantry), and adding or removing a cluster reached by token.

use tenantry_model::AddedClusterReport;
use yew::prelude::*;

use crate::components::{AddClusterDialog, ClusterTable, Notice, RowCommand, Summary};
use crate::ipc;
use crate::state::clusters::ClustersState;
use crate::state::toast::{ToastAction, Toasts, Tone};

/// Properties of [`ClustersPage`].
#[derive(Properties, PartialEq)]
pub struct ClustersPageProps {
    /// The cluster list (the reducer's handle: passing it copies nothing).
    pub state: UseReducerHandle<ClustersState>,
    /// Reloads the list after a cluster was added or removed.
    pub on_changed: Callback<()>,
}

/// Counts and the table, or why there is nothing to show; the Add cluster dialog.
#[function_component(ClustersPage)]
pub fn clusters_page(props: &ClustersPageProps) -> Html {
    let state = &props.state;
    let adding = use_state(|| false);
    let confirming = use_state(|| None::<String>);
    let toasts = use_context::<UseReducerHandle<Toasts>>();
    let toast = move |tone: Tone, message: String| {
        if let Some(toasts) = &toasts {
            toasts.dispatch(ToastAction::Raise(tone, message, js_sys::Date::now()));
        }
    };
    let on_added = {
        let (adding, on_changed, toast) = (adding.clone(), props.on_changed.clone(), toast.clone());
        Callback::from(move |report: AddedClusterReport| {
            adding.set(false);
            on_changed.emit(());
            let identity = report.identity.unwrap_or_else(|| "an unnamed identity".into());
            toast(
                Tone::Good,
                format!(
                    "Added {} (Kubernetes {}) as {identity}; its token is in the {}.",
                    report.name, report.version, report.keyring
                ),
            );
        })
    };
    let on_command = {
        let (confirming, on_changed) = (confirming.clone(), props.on_changed.clone());
        Callback::from(move |command: RowCommand| match command {
            RowCommand::Ask(name) => confirming.set(Some(name)),
            RowCommand::Keep => confirming.set(None),
            RowCommand::Remove(name) => {
                confirming.set(None);
                let (on_changed, toast) = (on_changed.clone(), toast.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    match ipc::remove_cluster(&name).await {
                        Ok(()) => toast(Tone::Good, format!("Removed {name}; its token is gone from the keyring.")),
                        Err(error) => toast(Tone::Bad, format!("{name} was not removed: {}", error.message)),
                    }
                    on_changed.emit(());
                });
            }
        })
    };
    let open = {
        let adding = adding.clone();
        Callback::from(move |_: MouseEvent| adding.set(true))
    };
    let close = {
        let adding = adding.clone();
        Callback::from(move |()| adding.set(false))
    };
    let kubeconfig_error = state.kubeconfig.as_ref().and_then(|k| k.error.clone());
    let loaded = state.kubeconfig.is_some();
    html! {
        <>
            <div class="toolbar page-toolbar">
                <button class="primary add-cluster" id="add-cluster" onclick={open}>{ "Add cluster" }</button>
            </div>
            if let Some(error) = state.error.clone() {
                <Notice {error} />
            }
            if let Some(error) = kubeconfig_error {
                <Notice {error} />
            } else if loaded && state.rows.is_empty() {
                <div class="empty">
                    <h2>{ "No clusters yet" }</h2>
                    <p>{ "The kubeconfig has no contexts. Add a cluster by its address and a token, or point KUBECONFIG at a file that has some." }</p>
                </div>
            } else if loaded {
                <Summary rows={state.rows.clone()} />
                <ClusterTable rows={state.rows.clone()} confirming={(*confirming).clone()} {on_command} />
            } else {
                <div class="empty" aria-busy="true"><p>{ "Reading the kubeconfig…" }</p></div>
            }
            if *adding {
                <AddClusterDialog on_close={close} {on_added} />
            }
        </>
    }
}
