//! The bar above everything: product name, the views, where the clusters come from, refresh.

use yew::prelude::*;

use crate::app::View;

/// Properties of [`TopBar`].
#[derive(Properties, PartialEq)]
pub struct TopBarProps {
    /// Kubeconfig files that were read.
    pub files: Vec<String>,
    /// The view shown.
    pub view: View,
    /// Switches the view.
    pub on_view: Callback<View>,
    /// Tenants known (shown on the tab).
    pub tenants: usize,
    /// Clusters listed (shown on the tab).
    pub clusters: usize,
    /// Whether probes are running (refresh is then disabled).
    pub probing: bool,
    /// Asks for a fresh load and probe of the clusters.
    pub on_refresh: Callback<()>,
}

/// Brand, view tabs, kubeconfig source and (on the clusters view) the refresh button.
#[function_component(TopBar)]
pub fn top_bar(props: &TopBarProps) -> Html {
    let source = if props.files.is_empty() { "no kubeconfig file found".to_owned() } else { props.files.join(" : ") };
    let tab = |view: View, label: &str, count: usize, id: &str| {
        let on_view = props.on_view.clone();
        let active = props.view == view;
        html! {
            <button id={id.to_owned()} class={classes!("tab", active.then_some("active"))} aria-pressed={active.to_string()}
                    onclick={Callback::from(move |_: MouseEvent| on_view.emit(view))}>
                { label.to_owned() }<span class="tab-count">{ count }</span>
            </button>
        }
    };
    html! {
        <header class="top-bar">
            <div class="brand">
                <span class="logo" aria-hidden="true">{ "T" }</span>
                <h1>{ "Tenantry" }</h1>
            </div>
            <nav class="tabs">
                { tab(View::Tenants, "Tenants", props.tenants, "tab-tenants") }
                { tab(View::Clusters, "Clusters", props.clusters, "tab-clusters") }
                <button id="tab-audit" class={classes!("tab", (props.view == View::Audit).then_some("active"))}
                        aria-pressed={(props.view == View::Audit).to_string()}
                        onclick={props.on_view.reform(|_: MouseEvent| View::Audit)}>{ "Audit" }</button>
                <button id="tab-rollouts" class={classes!("tab", (props.view == View::Rollouts).then_some("active"))}
                        aria-pressed={(props.view == View::Rollouts).to_string()}
                        onclick={props.on_view.reform(|_: MouseEvent| View::Rollouts)}>{ "Rollouts" }</button>
                <button id="tab-tenancy" class={classes!("tab", (props.view == View::Tenancy).then_some("active"))}
                        aria-pressed={(props.view == View::Tenancy).to_string()}
                        onclick={props.on_view.reform(|_: MouseEvent| View::Tenancy)}>{ "Tenancy" }</button>
            </nav>
            <div class="source" title={source.clone()}>
                <span class="label">{ "kubeconfig" }</span>
                <code>{ source }</code>
            </div>
            if props.view == View::Clusters {
                <button class="refresh" onclick={props.on_refresh.reform(|_: MouseEvent| ())} disabled={props.probing}>
                    { if props.probing { "Probing…" } else { "Refresh" } }
                </button>
            }
        </header>
    }
}
