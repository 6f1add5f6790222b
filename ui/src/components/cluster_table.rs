//! The table of clusters: one row per kubeconfig context.

use tenantry_model::{ClusterRow, Probe};
use yew::prelude::*;

use super::probe_badge::{ProbeBadge, state_name};

/// What a row asks of the page: clusters added in Tenantry can be removed, after a second click.
#[derive(Debug, Clone, PartialEq)]
pub enum RowCommand {
    /// Ask whether to remove this added cluster.
    Ask(String),
    /// Remove it (and its token from the keyring).
    Remove(String),
    /// Keep it after all.
    Keep,
}

/// Properties of [`ClusterTable`].
#[derive(Properties, PartialEq)]
pub struct ClusterTableProps {
    /// The rows, in order.
    pub rows: Vec<ClusterRow>,
    /// The added cluster whose removal waits for confirmation, if any.
    pub confirming: Option<String>,
    /// Receives the rows' remove commands.
    pub on_command: Callback<RowCommand>,
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
                    <th>{ "State" }</th><th class="num">{ "Latency" }</th><th>{ "Identity" }</th><th></th>
                </tr>
            </thead>
            <tbody>{ for props.rows.iter().map(|r| row(r, props.confirming.as_deref() == Some(r.context.as_str()), &props.on_command)) }</tbody>
        </table>
    }
}

fn row(row: &ClusterRow, confirming: bool, on_command: &Callback<RowCommand>) -> Html {
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
                <td colspan="7">
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
                    if row.added { <span class="tag" title="Added in Tenantry; its token is in the OS keyring">{ "added" }</span> }
                    <div class="sub">{ format!("cluster {} · user {}", row.cluster, if row.user.is_empty() { "—" } else { &row.user }) }</div>
                </td>
                <td class="server">{ row.server.clone().map_or_else(dash, |s| html! { <code>{ s }</code> }) }</td>
                <td>{ version }</td>
                <td><ProbeBadge probe={row.probe.clone()} /></td>
                <td class="num">{ latency }</td>
                <td>{ identity }</td>
                <td class="row-actions">{ remove_control(row, confirming, on_command) }</td>
            </tr>
            { problem }
        </>
    }
}

/// Remove (added clusters only): first a question, then the removal.
fn remove_control(row: &ClusterRow, confirming: bool, on_command: &Callback<RowCommand>) -> Html {
    if !row.added {
        return Html::default();
    }
    let name = row.context.clone();
    if confirming {
        let remove = on_command.reform(move |_: MouseEvent| RowCommand::Remove(name.clone()));
        html! {
            <span class="confirm-remove">
                { "Remove it and its token?" }
                <button class="primary danger small" onclick={remove}>{ "Remove" }</button>
                <button class="secondary small" onclick={on_command.reform(|_: MouseEvent| RowCommand::Keep)}>{ "Keep" }</button>
            </span>
        }
    } else {
        html! { <button class="secondary small" onclick={on_command.reform(move |_: MouseEvent| RowCommand::Ask(name.clone()))}>{ "Remove…" }</button> }
    }
}
