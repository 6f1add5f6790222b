//! The sign-in view: runs a context's credential plugin for the person at the window and shows,
//! live, what the plugin writes for them (a URL to open, a device code). Nothing of it is kept:
//! the lines live in this dialog only, and go when it closes.

use tenantry_model::{Credential, SignInEvent, UiError};
use yew::prelude::*;

use crate::components::{FormError, Modal};
use crate::ipc;

/// Properties of [`SignInDialog`].
#[derive(Properties, PartialEq)]
pub struct SignInDialogProps {
    /// The context to sign in for.
    pub context: String,
    /// The plugin's command, as the credential method names it.
    pub method: String,
    /// Closes the dialog.
    pub on_close: Callback<()>,
    /// Called with the credential once the plugin issued one.
    pub on_signed_in: Callback<Credential>,
}

/// Where the sign-in stands.
#[derive(Clone, PartialEq)]
enum Stage {
    Running,
    Done,
    Failed(UiError),
}

/// Starts the plugin at once; its lines stream in; Close ends the view (the plugin, if still
/// waiting for the person, is stopped by its time limit).
#[function_component(SignInDialog)]
pub fn sign_in_dialog(props: &SignInDialogProps) -> Html {
    let lines = use_reducer(Lines::default);
    let stage = use_state(|| Stage::Running);
    {
        let (lines, stage, context, on_signed_in) =
            (lines.clone(), stage.clone(), props.context.clone(), props.on_signed_in.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let on_event = {
                    let (lines, on_signed_in) = (lines.clone(), on_signed_in.clone());
                    move |event: Result<SignInEvent, UiError>| match event {
                        Ok(SignInEvent::Line { text }) => lines.dispatch(text),
                        Ok(SignInEvent::Done { credential }) => on_signed_in.emit(credential),
                        Err(_) => {}
                    }
                };
                match ipc::sign_in(&context, on_event).await {
                    Ok(()) => stage.set(Stage::Done),
                    Err(error) => stage.set(Stage::Failed(error)),
                }
            });
        });
    }
    let close = props.on_close.reform(|_: MouseEvent| ());
    html! {
        <Modal id="sign-in-dialog" class="sign-in" title={html! { <>{ format!("Sign in to {}", props.context) }</> }}
            explanation={format!("Tenantry runs this context's {} for you. Follow what it asks below — open the address it names, enter the code it shows. Nothing it writes here is stored.", props.method)}
            buttons={html! { <>
                <button class={if *stage == Stage::Running { "secondary" } else { "primary" }} id="sign-in-close" onclick={close}>{ "Close" }</button>
            </> }}>
            <pre class="sign-in-lines" id="sign-in-lines" aria-live="polite">
                { for lines.0.iter().map(|line| html! { <div>{ line }</div> }) }
            </pre>
            { match &*stage {
                Stage::Running => html! { <p class="muted" aria-busy="true" id="sign-in-state">{ "Waiting for the plugin (at most 5 minutes)…" }</p> },
                Stage::Done => html! { <p class="good" id="sign-in-state">{ "Signed in. The cluster reconnects with the new credential." }</p> },
                Stage::Failed(problem) => html! { <FormError error={problem.clone()} id="sign-in-state" /> },
            } }
        </Modal>
    }
}

/// The lines shown so far.
#[derive(Default, PartialEq)]
struct Lines(Vec<String>);

impl Reducible for Lines {
    type Action = String;

    fn reduce(self: std::rc::Rc<Self>, line: String) -> std::rc::Rc<Self> {
        let mut lines = self.0.clone();
        lines.push(line);
        std::rc::Rc::new(Self(lines))
    }
}
