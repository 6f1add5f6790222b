//! The root component: runs the cluster stream and lays out the screen.

use yew::prelude::*;

use crate::components::{ClusterTable, Notice, Summary, TopBar};
use crate::ipc;
use crate::state::{Action, ClustersState};

/// The whole window.
#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(ClustersState::default);
    let generation = use_state(|| 0_u32);
    {
        let state = state.clone();
        use_effect_with(*generation, move |_| {
            state.dispatch(Action::Refresh);
            wasm_bindgen_futures::spawn_local(async move {
                let events = state.clone();
                let outcome = ipc::watch_clusters(move |event| match event {
                    Ok(event) => events.dispatch(Action::Event(event)),
                    Err(error) => events.dispatch(Action::Failed(error)),
                })
                .await;
                if let Err(error) = outcome {
                    state.dispatch(Action::Failed(error));
                }
            });
        });
    }
    let on_refresh = {
        let generation = generation.clone();
        Callback::from(move |_| generation.set(*generation + 1))
    };
    let kubeconfig_error = state.kubeconfig.as_ref().and_then(|k| k.error.clone());
    let loaded = state.kubeconfig.is_some();
    html! {
        <div class="app">
            <TopBar files={state.kubeconfig.as_ref().map(|k| k.files.clone()).unwrap_or_default()}
                    probing={state.probing} {on_refresh} />
            <main class="content">
                if let Some(error) = state.error.clone() {
                    <Notice {error} />
                }
                if let Some(error) = kubeconfig_error {
                    <Notice {error} />
                } else if loaded && state.rows.is_empty() {
                    <div class="empty">
                        <h2>{ "No clusters yet" }</h2>
                        <p>{ "The kubeconfig has no contexts. Add a cluster with kubectl or point KUBECONFIG at a file that has some." }</p>
                    </div>
                } else if loaded {
                    <Summary rows={state.rows.clone()} />
                    <ClusterTable rows={state.rows.clone()} />
                } else {
                    <div class="empty" aria-busy="true"><p>{ "Reading the kubeconfig…" }</p></div>
                }
            </main>
        </div>
    }
}
