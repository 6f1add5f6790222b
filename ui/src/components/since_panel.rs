//! "Since you last looked": the tenants whose health, version or spec changed (and those new or
//! gone) since the window was last open, grouped by kind of change; each opens its tenant.

use tenantry_model::{SinceLastLooked, TenantChange};
use yew::prelude::*;

use crate::hooks::{ago, use_clock};
use crate::ipc;

/// Tenants listed per group before "and N more".
const LISTED: usize = 12;

/// Properties of [`SincePanel`].
#[derive(Properties, PartialEq)]
pub struct SincePanelProps {
    /// Whether every cluster is live: the comparison is asked again when they all are.
    pub all_live: bool,
    /// Opens a tenant (cluster, id).
    pub on_open: Callback<(String, String)>,
    /// Whether the user dismissed the panel (kept by the page across opening tenants).
    pub dismissed: bool,
    /// Dismisses it.
    pub on_dismiss: Callback<()>,
}

/// The panel above the fleet table.
#[function_component(SincePanel)]
pub fn since_panel(props: &SincePanelProps) -> Html {
    let since = use_state(|| None::<SinceLastLooked>);
    let open_group = use_state(|| None::<String>);
    let now = use_clock();
    {
        let since = since.clone();
        use_effect_with(props.all_live, move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(found) = ipc::since_last_looked().await {
                    since.set(Some(found));
                }
            });
        });
    }
    let Some(SinceLastLooked { since: Some(at), groups }) = &*since else { return html! {} };
    if props.dismissed {
        return html! {};
    }
    if groups.is_empty() {
        return html! { <p class="since-none muted">{ format!("Nothing changed since you last looked ({}).", ago(at, now)) }</p> };
    }
    let dismiss = props.on_dismiss.reform(|_: MouseEvent| ());
    html! {
        <section class="since" aria-label="Since you last looked">
            <div class="since-head">
                <strong>{ format!("Since you last looked ({})", ago(at, now)) }</strong>
                { for groups.iter().map(|group| {
                    let (open_group, kind) = (open_group.clone(), group.kind.clone());
                    let active = open_group.as_deref() == Some(group.kind.as_str());
                    let onclick = Callback::from(move |_: MouseEvent| open_group.set(if active { None } else { Some(kind.clone()) }));
                    html! {
                        <button class={classes!("chip", "since-chip", format!("since-{}", group.kind), active.then_some("active"))} {onclick}>
                            { label(&group.kind) }<span class="chip-count">{ group.tenants.len() }</span>
                        </button>
                    }
                }) }
                <span class="spacer"></span>
                <button class="small" onclick={dismiss} aria-label="Dismiss">{ "×" }</button>
            </div>
            if let Some(group) = groups.iter().find(|g| open_group.as_deref() == Some(g.kind.as_str())) {
                <ul class="since-list">
                    { for group.tenants.iter().take(LISTED).map(|change| item(change, &props.on_open)) }
                    if group.tenants.len() > LISTED {
                        <li class="muted">{ format!("and {} more", group.tenants.len() - LISTED) }</li>
                    }
                </ul>
            }
        </section>
    }
}

fn item(change: &TenantChange, on_open: &Callback<(String, String)>) -> Html {
    let target = (change.cluster.clone(), change.id.clone());
    let onclick = on_open.reform(move |_: MouseEvent| target.clone());
    let what = match (change.before.is_empty(), change.after.is_empty()) {
        (true, _) => format!("new, {}", change.after),
        (_, true) => format!("gone (was {})", change.before),
        _ => format!("{} → {}", change.before, change.after),
    };
    html! {
        <li><button class="link since-tenant" {onclick}>{ format!("{}/{}", change.cluster, change.id) }</button>
            <span class="muted">{ format!(" {what}") }</span></li>
    }
}

fn label(kind: &str) -> &'static str {
    match kind {
        "health" => "health changed",
        "version" => "version changed",
        "spec" => "spec changed",
        "new" => "new",
        _ => "gone",
    }
}
