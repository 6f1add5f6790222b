//! The clusters view: counts and the table of kubeconfig contexts.

use yew::prelude::*;

use crate::components::{ClusterTable, Notice, Summary};
use crate::state::clusters::ClustersState;

/// Properties of [`ClustersPage`].
#[derive(Properties, PartialEq)]
pub struct ClustersPageProps {
    /// The cluster list (the reducer's handle: passing it copies nothing).
    pub state: UseReducerHandle<ClustersState>,
}

/// Counts and the table, or why there is nothing to show.
#[function_component(ClustersPage)]
pub fn clusters_page(props: &ClustersPageProps) -> Html {
    let state = &props.state;
    let kubeconfig_error = state.kubeconfig.as_ref().and_then(|k| k.error.clone());
    let loaded = state.kubeconfig.is_some();
    html! {
        <>
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
        </>
    }
}
