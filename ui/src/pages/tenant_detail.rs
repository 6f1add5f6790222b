//! One tenant in detail: what the spec says, how it is doing, and its pods.

use tenantry_model::{TenantDetail, UiError};
use yew::prelude::*;

use crate::components::{HealthBadge, Notice};
use crate::hooks::use_escape;
use crate::ipc;

/// Properties of [`TenantDetailPage`].
#[derive(Properties, PartialEq)]
pub struct TenantDetailPageProps {
    /// The tenant's cluster (context).
    pub cluster: String,
    /// The tenant's id.
    pub id: String,
    /// Back to the fleet.
    pub on_back: Callback<()>,
}

#[derive(Clone, PartialEq)]
enum Loaded {
    Waiting,
    Shown(Box<TenantDetail>),
    Failed(UiError),
}

/// Reads the tenant from its cluster when opened; Back or Esc returns to the fleet.
#[function_component(TenantDetailPage)]
pub fn tenant_detail_page(props: &TenantDetailPageProps) -> Html {
    let loaded = use_state(|| Loaded::Waiting);
    {
        let loaded = loaded.clone();
        use_effect_with((props.cluster.clone(), props.id.clone()), move |(cluster, id)| {
            let (cluster, id) = (cluster.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                loaded.set(match ipc::tenant_detail(&cluster, &id).await {
                    Ok(detail) => Loaded::Shown(Box::new(detail)),
                    Err(error) => Loaded::Failed(error),
                });
            });
        });
    }
    use_escape(props.on_back.clone());
    let back = props.on_back.reform(|_: MouseEvent| ());
    html! {
        <section class="detail">
            <div class="detail-head">
                <button class="back" onclick={back}>{ "← Tenants" }</button>
                <h2>{ &props.id }<span class="muted">{ format!(" on {}", props.cluster) }</span></h2>
            </div>
            {
                match &*loaded {
                    Loaded::Waiting => html! { <div class="empty" aria-busy="true"><p>{ "Reading the tenant…" }</p></div> },
                    Loaded::Failed(error) => html! { <Notice error={error.clone()} /> },
                    Loaded::Shown(detail) => shown(detail),
                }
            }
        </section>
    }
}

fn shown(detail: &TenantDetail) -> Html {
    let t = &detail.tenant;
    let field =
        |label: &str, value: Html| html! { <div class="field"><dt>{ label.to_owned() }</dt><dd>{ value }</dd></div> };
    html! {
        <>
            <div class="detail-card">
                <div class="detail-health"><HealthBadge health={t.health} /><span>{ &t.reason }</span></div>
                <dl class="fields">
                    { field("Name", html! { &t.display_name }) }
                    { field("Customer", html! { &t.customer }) }
                    { field("Domains", html! { <code>{ t.domains.join(", ") }</code> }) }
                    { field("Version", html! { &t.version }) }
                    { field("Plan", html! { &t.plan }) }
                    { field("Blueprint", html! { &t.blueprint }) }
                    { field("Pods", html! { format!("{}/{} ready · {} restarts", t.ready, t.desired, t.restarts) }) }
                    { field("Revision", html! { t.revision }) }
                    { field("Created", html! { t.created.clone().unwrap_or_else(|| "—".into()) }) }
                </dl>
            </div>
            <h3 class="section-title">{ "Pods" }</h3>
            if detail.pods.is_empty() {
                <p class="muted">{ "No pods." }</p>
            } else {
                <table class="clusters pods">
                    <thead><tr><th>{ "Pod" }</th><th>{ "Phase" }</th><th>{ "Ready" }</th><th class="num">{ "Restarts" }</th><th>{ "Node" }</th><th>{ "Created" }</th></tr></thead>
                    <tbody>
                        { for detail.pods.iter().map(|pod| html! {
                            <tr class="pod-row" data-pod={pod.name.clone()}>
                                <td><code>{ &pod.name }</code></td>
                                <td>{ &pod.phase }</td>
                                <td>{ if pod.ready { "yes" } else { "no" } }</td>
                                <td class="num">{ pod.restarts }</td>
                                <td>{ pod.node.clone().unwrap_or_else(|| "—".into()) }</td>
                                <td>{ pod.created.clone().unwrap_or_else(|| "—".into()) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
        </>
    }
}
