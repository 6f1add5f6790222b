//! The fleet's left column: every watched cluster with its state, and "All clusters".

use std::collections::BTreeMap;

use yew::prelude::*;

use crate::state::fleet::Link;

/// Properties of [`ClusterNav`].
#[derive(Properties, PartialEq)]
pub struct ClusterNavProps {
    /// Watched clusters and how each is doing.
    pub clusters: BTreeMap<String, Link>,
    /// Tenants per cluster (after the search).
    pub counts: BTreeMap<String, usize>,
    /// The cluster shown, or all.
    pub selected: Option<String>,
    /// Picks a cluster (or all with `None`).
    pub on_select: Callback<Option<String>>,
}

/// One button per cluster: a state dot, the name, and its tenant count or state.
#[function_component(ClusterNav)]
pub fn cluster_nav(props: &ClusterNavProps) -> Html {
    let item = |cluster: Option<&String>, state: &str, note: String| {
        let active = props.selected.as_ref() == cluster;
        let on_select = props.on_select.clone();
        let picked = cluster.cloned();
        let name = cluster.cloned().unwrap_or_else(|| "All clusters".into());
        html! {
            <button class={classes!("nav-item", format!("link-{state}"), active.then_some("active"))}
                    data-cluster={picked.clone().unwrap_or_default()}
                    onclick={Callback::from(move |_: MouseEvent| on_select.emit(picked.clone()))}>
                <span class="dot"></span><span class="nav-name">{ name }</span><span class="nav-note">{ note }</span>
            </button>
        }
    };
    let total: usize = props.counts.values().sum();
    html! {
        <nav class="cluster-nav" aria-label="Clusters">
            <h2>{ "Clusters" }</h2>
            { item(None, "all", total.to_string()) }
            { for props.clusters.iter().map(|(cluster, link)| {
                let count = props.counts.get(cluster).copied().unwrap_or(0);
                match link {
                    Link::Connecting => item(Some(cluster), "connecting", "connecting…".into()),
                    Link::Live => item(Some(cluster), "live", count.to_string()),
                    Link::Failed(_) => item(Some(cluster), "failed", "unavailable".into()),
                }
            }) }
        </nav>
    }
}
