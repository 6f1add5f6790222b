//! Actions that did not finish (the app was closed mid-action, or the action failed), each with
//! Resume (run it again to the end) and Roll back (back to the revision before it).

use tenantry_model::{ActionKind, ActionResult, JournalEntry, JournalState};
use yew::prelude::*;

use crate::ipc;
use crate::state::toast::{ToastAction, Toasts, Tone};

/// Properties of [`Unfinished`].
#[derive(Properties, PartialEq)]
pub struct UnfinishedProps {
    /// Changes whenever an action ended, to read the journal again.
    pub generation: u32,
}

/// A panel listing the unfinished actions; nothing when there are none.
#[function_component(Unfinished)]
pub fn unfinished(props: &UnfinishedProps) -> Html {
    let entries = use_state(Vec::<JournalEntry>::new);
    let busy = use_state(|| None::<i64>);
    let confirm = use_state(String::new);
    let reload = use_state(|| 0_u32);
    let toasts = use_context::<UseReducerHandle<Toasts>>();
    {
        let entries = entries.clone();
        use_effect_with((props.generation, *reload), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(found) = ipc::unfinished_actions().await {
                    entries.set(found);
                }
            });
        });
    }
    if entries.is_empty() {
        return html! {};
    }
    let act = |entry: &JournalEntry, roll_back: bool| {
        let (busy, reload, toasts, confirm) = (busy.clone(), reload.clone(), toasts.clone(), confirm.clone());
        let (context, id) = (entry.request.context.clone(), entry.id);
        Callback::from(move |_: MouseEvent| {
            busy.set(Some(id));
            let (busy, reload, toasts, context, typed) =
                (busy.clone(), reload.clone(), toasts.clone(), context.clone(), (*confirm).clone());
            wasm_bindgen_futures::spawn_local(async move {
                let ended = if roll_back {
                    ipc::roll_back_action(&context, id, &typed, |_| {}).await
                } else {
                    ipc::resume_action(&context, id, |_| {}).await
                };
                let (tone, message) = match ended {
                    Ok(o) => (if o.result == ActionResult::Succeeded { Tone::Good } else { Tone::Bad }, o.message),
                    Err(error) => (Tone::Bad, error.message),
                };
                if let Some(toasts) = toasts {
                    toasts.dispatch(ToastAction::Raise(tone, message, js_sys::Date::now()));
                }
                busy.set(None);
                reload.set(*reload + 1);
            });
        })
    };
    let on_confirm = {
        let confirm = confirm.clone();
        Callback::from(move |event: InputEvent| {
            if let Some(input) = event.target_dyn_into::<web_sys::HtmlInputElement>() {
                confirm.set(input.value());
            }
        })
    };
    html! {
        <section class="unfinished" id="unfinished-actions">
            <h3>{ format!("{} unfinished action{}", entries.len(), if entries.len() == 1 { "" } else { "s" }) }</h3>
            <ul>
                { for entries.iter().map(|entry| {
                    let what = format!("{} of {} on {}", entry.request.change.kind().name(), entry.request.tenant, entry.request.context);
                    let state = match (&entry.running_in, entry.state) {
                        (Some(running_in), _) => format!("running in {running_in}, at “{}”", entry.step.title()),
                        (None, JournalState::Running) => format!("interrupted at “{}”", entry.step.title()),
                        (None, _) => format!("failed at “{}”", entry.step.title()),
                    };
                    let creates = entry.revision_before == 0 && entry.request.change.kind() == ActionKind::Create;
                    let may_roll_back = !creates || *confirm == entry.request.tenant;
                    let working = *busy == Some(entry.id);
                    html! {
                        <li class="unfinished-entry">
                            <span><strong>{ what }</strong>{ format!(" — {state}") }
                                if !entry.message.is_empty() { <span class="muted">{ format!(": {}", entry.message) }</span> }</span>
                            if entry.running_in.is_none() {
                            <span class="unfinished-buttons">
                                if creates {
                                    <input class="confirm" placeholder={format!("type {} to roll back", entry.request.tenant)} oninput={on_confirm.clone()} />
                                }
                                <button class="secondary" onclick={act(entry, false)} disabled={busy.is_some()}>{ if working { "Working…" } else { "Resume" } }</button>
                                <button class="secondary" onclick={act(entry, true)} disabled={busy.is_some() || !may_roll_back}
                                        title={if creates { "Rolling back a create deletes the tenant." } else { "Back to the revision before this action." }}>{ "Roll back" }</button>
                            </span>
                            }
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
