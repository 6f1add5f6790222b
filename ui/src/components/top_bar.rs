//! The bar above everything: product name, where the clusters come from, refresh.

use yew::prelude::*;

/// Properties of [`TopBar`].
#[derive(Properties, PartialEq)]
pub struct TopBarProps {
    /// Kubeconfig files that were read.
    pub files: Vec<String>,
    /// Whether probes are running (refresh is then disabled).
    pub probing: bool,
    /// Asks for a fresh load and probe.
    pub on_refresh: Callback<()>,
}

/// Product name, kubeconfig source and the refresh button.
#[function_component(TopBar)]
pub fn top_bar(props: &TopBarProps) -> Html {
    let on_click = props.on_refresh.reform(|_: MouseEvent| ());
    let source = if props.files.is_empty() { "no kubeconfig file found".to_owned() } else { props.files.join(" : ") };
    html! {
        <header class="top-bar">
            <div class="brand">
                <span class="logo" aria-hidden="true">{ "T" }</span>
                <div>
                    <h1>{ "Tenantry" }</h1>
                    <p class="subtitle">{ "Clusters" }</p>
                </div>
            </div>
            <div class="source" title={source.clone()}>
                <span class="label">{ "kubeconfig" }</span>
                <code>{ source }</code>
            </div>
            <button class="refresh" onclick={on_click} disabled={props.probing}>
                { if props.probing { "Probing…" } else { "Refresh" } }
            </button>
        </header>
    }
}
