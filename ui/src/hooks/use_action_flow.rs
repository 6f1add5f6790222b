//! Following one action from a dialog: the dry run on request, then the run with its progress,
//! a toast when it ends, and a callback so pages can refresh.

use tenantry_model::{ActionRequest, ActionResult};
use yew::prelude::*;

use crate::ipc;
use crate::state::action::{ActionFlow, FlowAction};
use crate::state::toast::{ToastAction, Toasts, Tone};

/// The flow of an action and the two things a dialog asks of it.
pub struct ActionRunner {
    /// Where the action stands.
    pub flow: UseReducerHandle<ActionFlow>,
    /// Asks the server for a dry run of a request.
    pub preview: Callback<ActionRequest>,
    /// Runs a request, following its progress.
    pub apply: Callback<ActionRequest>,
}

/// An action's flow; `on_ended` is called when a run ended, however it ended.
#[hook]
pub fn use_action_flow(on_ended: Callback<()>) -> ActionRunner {
    let flow = use_reducer(ActionFlow::default);
    let toasts = use_context::<UseReducerHandle<Toasts>>();
    let preview = {
        let flow = flow.clone();
        Callback::from(move |request: ActionRequest| {
            flow.dispatch(FlowAction::Previewing);
            let flow = flow.clone();
            wasm_bindgen_futures::spawn_local(async move {
                flow.dispatch(match ipc::preview_action(&request).await {
                    Ok(preview) => FlowAction::Previewed(preview),
                    Err(error) => FlowAction::Failed(error),
                });
            });
        })
    };
    let apply = {
        let flow = flow.clone();
        Callback::from(move |request: ActionRequest| {
            flow.dispatch(FlowAction::Running);
            let (flow, toasts, on_ended) = (flow.clone(), toasts.clone(), on_ended.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let events = flow.clone();
                let ended = ipc::run_action(&request, move |event| match event {
                    Ok(event) => events.dispatch(FlowAction::Event(event)),
                    Err(error) => events.dispatch(FlowAction::Failed(error)),
                })
                .await;
                let (tone, message) = match ended {
                    Ok(outcome) => {
                        let tone = if outcome.result == ActionResult::Succeeded { Tone::Good } else { Tone::Bad };
                        (tone, outcome.message)
                    }
                    Err(error) => {
                        let message = error.message.clone();
                        flow.dispatch(FlowAction::Failed(error));
                        (Tone::Bad, message)
                    }
                };
                if let Some(toasts) = toasts {
                    toasts.dispatch(ToastAction::Raise(tone, message, js_sys::Date::now()));
                }
                on_ended.emit(());
            });
        })
    };
    ActionRunner { flow, preview, apply }
}
