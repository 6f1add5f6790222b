//! The audit log: who did what to which tenant and how it went, filtered by cluster, tenant,
//! action and result, exported as CSV.

use tenantry_model::{ActionKind, ActionResult, AuditEntry, AuditFilter, UiError};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::components::Notice;
use crate::hooks::{ago, use_clock};
use crate::ipc;
use crate::state::ActionsContext;
use crate::state::toast::{ToastAction, Toasts, Tone};

const ACTIONS: [ActionKind; 11] = [
    ActionKind::Create,
    ActionKind::Adopt,
    ActionKind::Update,
    ActionKind::Scale,
    ActionKind::Restart,
    ActionKind::Suspend,
    ActionKind::Resume,
    ActionKind::Rollback,
    ActionKind::Backup,
    ActionKind::Restore,
    ActionKind::Delete,
];
const RESULTS: [ActionResult; 3] = [ActionResult::Succeeded, ActionResult::Failed, ActionResult::Refused];

/// Filters above the table, the entries newest first, and Export CSV.
#[function_component(AuditPage)]
pub fn audit_page() -> Html {
    let entries = use_state(|| None::<Result<Vec<AuditEntry>, UiError>>);
    let filter = use_state(AuditFilter::default);
    let now = use_clock();
    let toasts = use_context::<UseReducerHandle<Toasts>>();
    let generation = use_context::<ActionsContext>().map_or(0, |a| a.generation);
    {
        let entries = entries.clone();
        use_effect_with(generation, move |_| {
            wasm_bindgen_futures::spawn_local(async move { entries.set(Some(ipc::audit_log().await)) });
        });
    }
    let all: Vec<AuditEntry> = match &*entries {
        Some(Ok(all)) => all.clone(),
        _ => Vec::new(),
    };
    let mut contexts: Vec<String> = all.iter().map(|e| e.context.clone()).collect();
    contexts.sort();
    contexts.dedup();
    let shown: Vec<&AuditEntry> = all.iter().filter(|e| filter.matches(e)).collect();
    let select = |update: fn(&mut AuditFilter, String)| {
        let filter = filter.clone();
        Callback::from(move |event: Event| {
            let value = event
                .target_dyn_into::<HtmlSelectElement>()
                .map(|s| s.value())
                .or_else(|| event.target_dyn_into::<HtmlInputElement>().map(|i| i.value()))
                .unwrap_or_default();
            let mut next = (*filter).clone();
            update(&mut next, value);
            filter.set(next);
        })
    };
    let on_export = {
        let filter = filter.clone();
        Callback::from(move |_: MouseEvent| {
            let (filter, toasts) = ((*filter).clone(), toasts.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let (tone, message) = match ipc::export_audit(&filter).await {
                    Ok(path) => (Tone::Good, format!("Audit log saved as {path}")),
                    Err(error) => (Tone::Bad, error.message),
                };
                if let Some(toasts) = toasts {
                    toasts.dispatch(ToastAction::Raise(tone, message, js_sys::Date::now()));
                }
            });
        })
    };
    html! {
        <section class="audit">
            <div class="toolbar">
                <select id="audit-cluster" onchange={select(|f, v| f.context = (!v.is_empty()).then_some(v))}>
                    <option value="" selected={filter.context.is_none()}>{ "All clusters" }</option>
                    { for contexts.iter().map(|c| html! { <option value={c.clone()} selected={filter.context.as_ref() == Some(c)}>{ c }</option> }) }
                </select>
                <input class="search" id="audit-tenant" placeholder="Tenant" oninput={select(|f, v| f.tenant = (!v.is_empty()).then_some(v)).reform(Event::from)} />
                <select id="audit-action" onchange={select(|f, v| f.action = ACTIONS.iter().copied().find(|a| a.name() == v))}>
                    <option value="" selected={filter.action.is_none()}>{ "All actions" }</option>
                    { for ACTIONS.iter().map(|a| html! { <option value={a.name()} selected={filter.action == Some(*a)}>{ a.name() }</option> }) }
                </select>
                <select id="audit-result" onchange={select(|f, v| f.result = RESULTS.iter().copied().find(|r| r.name() == v))}>
                    <option value="" selected={filter.result.is_none()}>{ "All results" }</option>
                    { for RESULTS.iter().map(|r| html! { <option value={r.name()} selected={filter.result == Some(*r)}>{ r.name() }</option> }) }
                </select>
                <span class="count-note">{ format!("{} of {} entries", shown.len(), all.len()) }</span>
                <button class="secondary" id="audit-export" onclick={on_export}>{ "Export CSV" }</button>
            </div>
            {
                match &*entries {
                    None => html! { <div class="empty" aria-busy="true"><p>{ "Reading the audit log…" }</p></div> },
                    Some(Err(error)) => html! { <Notice error={error.clone()} /> },
                    Some(Ok(_)) if shown.is_empty() => html! { <div class="empty"><h2>{ "No actions yet" }</h2><p class="muted">{ "Every action on a tenant is recorded here." }</p></div> },
                    Some(Ok(_)) => html! {
                        <table class="clusters audit-log">
                            <thead><tr><th>{ "When" }</th><th>{ "Who" }</th><th>{ "Tenant" }</th><th>{ "Action" }</th><th>{ "Revision" }</th><th>{ "Result" }</th><th class="num">{ "Took" }</th><th>{ "Message" }</th></tr></thead>
                            <tbody>
                                { for shown.iter().map(|e| html! {
                                    <tr class="audit-row">
                                        <td>{ ago(&e.at, now) }</td>
                                        <td><div>{ &e.os_user }</div><div class="muted identity">{ &e.identity }</div></td>
                                        <td><code>{ &e.tenant }</code><div class="muted">{ &e.context }</div></td>
                                        <td>{ e.action.name() }
                                            if !e.reason.is_empty() { <div class="muted reason">{ &e.reason }</div> }</td>
                                        <td>{ format!("{} → {}", e.revision_before, e.revision_after) }</td>
                                        <td><span class={classes!("result", format!("result-{}", e.result.name()))}>{ e.result.name() }</span></td>
                                        <td class="num">{ format!("{:.1} s", e.duration_ms as f64 / 1000.0) }</td>
                                        <td class="message">{ &e.message }</td>
                                    </tr>
                                }) }
                            </tbody>
                        </table>
                    },
                }
            }
        </section>
    }
}
