//! The fleet's left column: every watched cluster with its connection state, and "All clusters".

use std::collections::BTreeMap;

use tenantry_model::{ClusterStatus, ConnectionState};
use yew::prelude::*;

use crate::hooks::ago;

/// Properties of [`ClusterNav`].
#[derive(Properties, PartialEq)]
pub struct ClusterNavProps {
    /// Clusters and how each is doing.
    pub clusters: BTreeMap<String, ClusterStatus>,
    /// Tenants per cluster (after the search).
    pub counts: BTreeMap<String, usize>,
    /// The cluster shown, or all.
    pub selected: Option<String>,
    /// Picks a cluster (or all with `None`).
    pub on_select: Callback<Option<String>>,
    /// Now, in ms since the epoch (for "last live 5 min ago").
    pub now: f64,
}

/// One button per cluster: a state dot, the name, its tenant count and, when it is not live,
/// its state and when it was last live; the last error is the button's tooltip.
#[function_component(ClusterNav)]
pub fn cluster_nav(props: &ClusterNavProps) -> Html {
    let item = |cluster: Option<&String>, state: &str, note: String, detail: Option<String>, title: String| {
        let active = props.selected.as_ref() == cluster;
        let on_select = props.on_select.clone();
        let picked = cluster.cloned();
        let name = cluster.cloned().unwrap_or_else(|| "All clusters".into());
        html! {
            <button class={classes!("nav-item", format!("link-{state}"), active.then_some("active"))}
                    data-cluster={picked.clone().unwrap_or_default()} data-state={state.to_owned()} {title}
                    onclick={Callback::from(move |_: MouseEvent| on_select.emit(picked.clone()))}>
                <span class="dot"></span><span class="nav-name">{ name }</span><span class="nav-note">{ note }</span>
                if let Some(detail) = detail {
                    <span class="nav-detail">{ detail }</span>
                }
            </button>
        }
    };
    let total: usize = props.counts.values().sum();
    html! {
        <nav class="cluster-nav" aria-label="Clusters">
            <h2>{ "Clusters" }</h2>
            { item(None, "all", total.to_string(), None, String::new()) }
            { for props.clusters.values().map(|status| {
                let count = props.counts.get(&status.context).copied().unwrap_or(0);
                let (state, label) = match status.state {
                    ConnectionState::Connecting => ("connecting", "connecting…"),
                    ConnectionState::Live => ("live", ""),
                    ConnectionState::Reconnecting => ("reconnecting", "reconnecting…"),
                    ConnectionState::Unreachable => ("unreachable", "unreachable"),
                    ConnectionState::Unauthorized => ("unauthorized", "unauthorized"),
                    ConnectionState::NotWatched => ("not-watched", "not watched"),
                };
                let detail = (status.state != ConnectionState::Live).then(|| {
                    let since = status.last_live.as_deref().map_or_else(
                        || "never live".to_owned(),
                        |at| format!("last live {}", ago(at, props.now)),
                    );
                    format!("{label} · {since}")
                });
                let detail = detail.or_else(|| (!status.notes.is_empty()).then(|| status.notes.join(" ")));
                let title = status.last_error.as_ref().map(|e| format!("{}\\n{}", e.message, e.detail)).unwrap_or_default();
                item(Some(&status.context), state, count.to_string(), detail, title)
            }) }
        </nav>
    }
}
