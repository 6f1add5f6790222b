//! The table of clusters: one row per kubeconfig context.

use tenantry_model::{ClusterRow, Probe};
use yew::prelude::*;

use super::probe_badge::{ProbeBadge, state_name};

/// Properties of [`ClusterTable`].
#[derive(Properties, PartialEq)]
pub struct ClusterTableProps {
    /// The rows, in order.
    pub rows: Vec<ClusterRow>,
}

/// Context, server, version, state, latency and identity of every cluster; a failed row
/// carries its one-sentence reason and the detail.
#[function_component(ClusterTable)]
pub fn cluster_table(props: &ClusterTableProps) -> Html {
    html! {
        <table class="clusters">
            <thead>
                <tr>
                    <th>{ "Context" }</th><th>{ "Server" }</th><th>{ "Kubernetes" }</th>
                    <th>{ "State" }</th><th class="num">{ "Latency" }</th><th>{ "Identity" }</th>
                </tr>
            </thead>
            <tbody>{ for props.rows.iter().map(row) }</tbody>
        </table>
    }
}

fn row(row: &ClusterRow) -> Html {
    let dash = || html! { <span class="muted">{ "—" }</span> };
    let (version, latency, identity) = match &row.probe {
        Probe::Reachable { version, identity, latency_ms } => (
            html! { <span class="version">{ version }</span> },
            html! { { format!("{latency_ms} ms") } },
            identity
                .as_ref()
                .map_or_else(dash, |who| html! { <span class="identity" title={who.clone()}>{ who }</span> }),
        ),
        _ => (dash(), dash(), dash()),
    };
    let problem = match &row.probe {
        Probe::Failed { error } => html! {
            <tr class="problem-row">
                <td colspan="6">
                    <span class="problem">{ &error.message }</span>
                    if !error.detail.is_empty() {
                        <details><summary>{ "Details" }</summary><pre>{ &error.detail }</pre></details>
                    }
                </td>
            </tr>
        },
        _ => Html::default(),
    };
    let state = state_name(&row.probe);
    html! {
        <>
            <tr class={classes!("cluster-row", format!("row-{state}"))} data-context={row.context.clone()} data-state={state}>
                <td class="context">
                    <span class="name">{ &row.context }</span>
                    if row.current { <span class="tag">{ "current" }</span> }
                    <div class="sub">{ format!("cluster {} · user {}", row.cluster, if row.user.is_empty() { "—" } else { &row.user }) }</div>
                </td>
                <td class="server">{ row.server.clone().map_or_else(dash, |s| html! { <code>{ s }</code> }) }</td>
                <td>{ version }</td>
                <td><ProbeBadge probe={row.probe.clone()} /></td>
                <td class="num">{ latency }</td>
                <td>{ identity }</td>
            </tr>
            { problem }
        </>
    }
}
