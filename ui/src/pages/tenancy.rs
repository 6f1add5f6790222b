//! The tenancy settings: the rules file in an editor, what the draft makes of each watched
//! cluster's namespaces (checked again a moment after each edit), and Save, which puts the
//! rules in force at once.

use tenantry_model::{TenancyFile, TenancyMatch, UiError};
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use crate::components::Notice;
use crate::ipc;
use crate::state::toast::{ToastAction, Toasts, Tone};

/// How long typing must pause before the draft is checked against the clusters.
const PAUSE_MS: i32 = 400;

/// The editor, the live count per cluster, Save and Revert.
#[function_component(TenancyPage)]
pub fn tenancy_page() -> Html {
    let file = use_state(|| None::<Result<TenancyFile, UiError>>);
    let text = use_state(String::new);
    let checked = use_state(|| None::<Result<Vec<TenancyMatch>, UiError>>);
    let checking = use_state(|| false);
    let latest = use_mut_ref(|| 0_u32);
    let toasts = use_context::<UseReducerHandle<Toasts>>();
    {
        let (file, text) = (file.clone(), text.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let read = ipc::read_tenancy().await;
                if let Ok(read) = &read {
                    text.set(read.text.clone());
                }
                file.set(Some(read));
            });
        });
    }
    {
        let (checked, checking, latest) = (checked.clone(), checking.clone(), latest.clone());
        use_effect_with((*text).clone(), move |draft: &String| {
            let draft = draft.clone();
            let turn = {
                let mut latest = latest.borrow_mut();
                *latest += 1;
                *latest
            };
            if !draft.is_empty() {
                checking.set(true);
                wasm_bindgen_futures::spawn_local(async move {
                    pause(PAUSE_MS).await;
                    if *latest.borrow() != turn {
                        return;
                    }
                    let result = ipc::check_tenancy(&draft).await;
                    if *latest.borrow() == turn {
                        checked.set(Some(result));
                        checking.set(false);
                    }
                });
            }
        });
    }
    let on_input = {
        let text = text.clone();
        Callback::from(move |event: InputEvent| {
            if let Some(area) = event.target_dyn_into::<HtmlTextAreaElement>() {
                text.set(area.value());
            }
        })
    };
    let saved_text = match &*file {
        Some(Ok(file)) => Some(file.text.clone()),
        _ => None,
    };
    let edited = saved_text.as_deref().is_some_and(|saved| saved != text.as_str());
    let on_revert = {
        let text = text.clone();
        let saved = saved_text.clone().unwrap_or_default();
        Callback::from(move |_: MouseEvent| text.set(saved.clone()))
    };
    let on_save = {
        let (text, file, checked) = (text.clone(), file.clone(), checked.clone());
        Callback::from(move |_: MouseEvent| {
            let (draft, file, checked, toasts) = ((*text).clone(), file.clone(), checked.clone(), toasts.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let saved = ipc::save_tenancy(&draft).await;
                let (tone, message) = match &saved {
                    Ok(matches) => {
                        let tenants: u32 = matches.iter().map(|m| m.tenants).sum();
                        let read = matches.iter().filter(|m| m.error.is_none()).count();
                        let unread = match matches.len() - read {
                            0 => String::new(),
                            n => format!(" ({n} could not be read)"),
                        };
                        (Tone::Good, format!("Tenancy rules saved: {tenants} tenants on {read} clusters{unread}"))
                    }
                    Err(error) => (Tone::Bad, error.message.clone()),
                };
                if saved.is_ok() {
                    file.set(Some(ipc::read_tenancy().await));
                }
                checked.set(Some(saved));
                if let Some(toasts) = toasts {
                    toasts.dispatch(ToastAction::Raise(tone, message, js_sys::Date::now()));
                }
            });
        })
    };
    let valid = matches!(&*checked, Some(Ok(_)));
    html! {
        <section class="tenancy">
            <div class="toolbar">
                <h2>{ "Tenancy rules" }</h2>
                {
                    match &*file {
                        Some(Ok(file)) => html! {
                            <span class="muted">
                                <code>{ &file.path }</code>
                                { if file.exists { "" } else { " — no file yet: Tenantry's own label makes a tenant" } }
                            </span>
                        },
                        _ => html! {},
                    }
                }
                <div class="tenancy-buttons">
                    <button class="secondary" id="tenancy-revert" disabled={!edited} onclick={on_revert}>{ "Revert" }</button>
                    <button class="primary" id="tenancy-save" disabled={!edited || !valid} onclick={on_save}>{ "Save" }</button>
                </div>
            </div>
            if let Some(Ok(TenancyFile { problem: Some(problem), .. })) = &*file {
                <p class="tenancy-problem" role="alert">{ format!("The file is broken, so the last rules that loaded are in force: {problem}") }</p>
            }
            if let Some(Err(error)) = &*file {
                <Notice error={error.clone()} />
            }
            <div class="tenancy-body">
                <textarea id="tenancy-text" class="tenancy-editor" spellcheck="false" value={(*text).clone()} oninput={on_input} />
                <div class="tenancy-preview" aria-live="polite">
                    <h3 class="section-title">{ if *checking { "Checking…" } else { "What these rules find" } }</h3>
                    { preview(checked.as_ref()) }
                </div>
            </div>
        </section>
    }
}

/// The count per cluster, or why the draft cannot be used.
fn preview(checked: Option<&Result<Vec<TenancyMatch>, UiError>>) -> Html {
    match checked {
        None => html! { <p class="muted">{ "Reading the clusters…" }</p> },
        Some(Err(error)) => html! { <p class="tenancy-invalid" id="tenancy-error" role="alert">{ &error.message }</p> },
        Some(Ok(matches)) if matches.is_empty() => html! { <p class="muted">{ "No cluster is watched." }</p> },
        Some(Ok(matches)) => html! {
            <table class="clusters tenancy-matches">
                <thead><tr><th>{ "Cluster" }</th><th class="num">{ "Tenants" }</th><th class="num">{ "Excluded" }</th><th class="num">{ "Other" }</th><th>{ "For example" }</th></tr></thead>
                <tbody>
                    { for matches.iter().map(|m| html! {
                        <tr class="tenancy-match" data-cluster={m.cluster.clone()} data-tenants={m.tenants.to_string()}>
                            <td>{ &m.cluster }</td>
                            if let Some(error) = &m.error {
                                <td colspan="4" class="muted">{ &error.message }</td>
                            } else {
                                <td class="num"><strong>{ m.tenants }</strong></td>
                                <td class="num">{ m.excluded }</td>
                                <td class="num">{ m.others }</td>
                                <td><code>{ m.examples.join(", ") }</code>{ if m.tenants as usize > m.examples.len() { " …" } else { "" } }</td>
                            }
                        </tr>
                    }) }
                </tbody>
            </table>
        },
    }
}

/// Resolves after `ms` milliseconds.
async fn pause(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
