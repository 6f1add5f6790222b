//! The frame every action dialog shares: title and explanation, the form (children), the
//! problem with the form, the dry run, the progress and the outcome, and Cancel / Preview /
//! Apply.

use tenantry_model::{ActionRequest, ActionResult, ErrorKind};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::components::{ActionProgress, Modal, Notice, PreviewList};
use crate::hooks::ActionRunner;
use crate::state::action::{ActionFlow, FlowAction, Phase};
use crate::state::editable::{Editable, FieldEdit};

/// Properties of [`ActionFrame`].
#[derive(Properties, PartialEq)]
pub struct ActionFrameProps {
    /// The heading, e.g. "Scale alder-books".
    pub title: AttrValue,
    /// Where, e.g. " on eu-west".
    #[prop_or_default]
    pub place: AttrValue,
    /// What the action does, in one or two sentences.
    pub explanation: AttrValue,
    /// The label of the apply button, e.g. "Scale".
    pub apply_label: AttrValue,
    /// Whether the action destroys something (a red apply button).
    #[prop_or_default]
    pub danger: bool,
    /// The request the form describes now, or what is wrong with the form.
    pub request: Result<ActionRequest, String>,
    /// Whether apply is allowed once previewed (e.g. the typed confirmation matches).
    #[prop_or(true)]
    pub confirmed: bool,
    /// Closes the dialog.
    pub on_close: Callback<()>,
    /// The action's flow and its preview and apply callbacks.
    pub runner: ActionRunnerProp,
    /// The form.
    pub children: Html,
}

/// A form field's change handler: reads the input's value (a checkbox as `true`/`false`, or a
/// select's value), lets `update` put it into the form, and sends the flow back to editing (a
/// preview no longer matches the form).
pub fn edit_field<T: Clone + 'static>(
    form: &UseReducerHandle<Editable<T>>,
    flow: &UseReducerHandle<ActionFlow>,
    update: fn(&mut T, String),
) -> Callback<Event> {
    let (form, flow) = (form.clone(), flow.clone());
    Callback::from(move |event: Event| {
        let value = event
            .target_dyn_into::<HtmlInputElement>()
            .map(|input| if input.type_() == "checkbox" { input.checked().to_string() } else { input.value() })
            .or_else(|| event.target_dyn_into::<HtmlSelectElement>().map(|select| select.value()))
            .unwrap_or_default();
        form.dispatch(FieldEdit { update, value });
        flow.dispatch(FlowAction::Edit);
    })
}

/// [`ActionRunner`] as a property (compared by its flow).
#[derive(Clone)]
pub struct ActionRunnerProp(pub std::rc::Rc<ActionRunner>);

impl PartialEq for ActionRunnerProp {
    fn eq(&self, other: &Self) -> bool {
        self.0.flow == other.0.flow
    }
}

/// The modal around an action's form.
#[function_component(ActionFrame)]
pub fn action_frame(props: &ActionFrameProps) -> Html {
    let form_error = use_state(|| None::<String>);
    // Set once the user chose to take over fields a controller of record owns.
    let take_over = use_state(|| false);
    let runner = &props.runner.0;
    let flow = &runner.flow;
    let phase = flow.phase;
    let locked = matches!(phase, Phase::Running | Phase::Ended);
    let request = props.request.clone().map(|request| ActionRequest { take_over: *take_over, ..request });
    let preview_with = |taking_over: bool| {
        let (request, preview, form_error, take_over) =
            (request.clone(), runner.preview.clone(), form_error.clone(), take_over.clone());
        Callback::from(move |_: MouseEvent| match request.clone() {
            Err(problem) => form_error.set(Some(problem)),
            Ok(request) => {
                form_error.set(None);
                if taking_over {
                    take_over.set(true);
                }
                preview.emit(ActionRequest { take_over: request.take_over || taking_over, ..request });
            }
        })
    };
    let on_preview = preview_with(false);
    let conflict = flow.error.as_ref().is_some_and(|error| error.kind == ErrorKind::Conflict) && !*take_over;
    let on_apply = {
        let (request, apply) = (request.clone(), runner.apply.clone());
        Callback::from(move |_: MouseEvent| {
            if let Ok(request) = request.clone() {
                apply.emit(request);
            }
        })
    };
    let can_apply = phase == Phase::Previewed && props.confirmed;
    let close = props.on_close.reform(|_: MouseEvent| ());
    html! {
        <Modal id="action-dialog" title={html! { <>{ &props.title }<span class="muted">{ &props.place }</span></> }}
            explanation={&props.explanation}
            buttons={html! { <>
                <button class="secondary" onclick={close} disabled={phase == Phase::Running}>{ if locked { "Close" } else { "Cancel" } }</button>
                if !locked {
                    <button class="secondary" id="action-preview-button" onclick={on_preview} disabled={phase == Phase::Previewing}>{ "Preview" }</button>
                    <button class={classes!("primary", props.danger.then_some("danger"))} id="action-apply" onclick={on_apply} disabled={!can_apply}
                            title={if phase == Phase::Previewed { String::new() } else { "Preview first: see what changes before applying.".into() }}>
                        { &props.apply_label }
                    </button>
                }
            </> }}>
            <fieldset class="form-fields" disabled={locked}>{ props.children.clone() }</fieldset>
            if let Some(problem) = &*form_error { <p class="form-error" role="alert">{ problem }</p> }
            if let Some(error) = &flow.error { <Notice error={error.clone()} /> }
            if conflict {
                <p class="hint">{ "A controller of record (Helm, Argo CD, Flux…) owns these fields and may set them back. Take them over only if Tenantry should manage them from now on. " }
                    <button class="secondary" id="action-take-over" onclick={preview_with(true)}>{ "Take over and preview" }</button></p>
            }
            if *take_over && !locked { <p class="hint">{ "Applying takes over the fields another controller owned." }</p> }
            if phase == Phase::Previewing { <p class="muted" aria-busy="true">{ "Asking the server for a dry run…" }</p> }
            if let Some(preview) = &flow.preview { <PreviewList preview={preview.clone()} /> }
            if locked { <ActionProgress flow={(**flow).clone()} /> }
            if let Some(outcome) = &flow.outcome {
                <p class={classes!("outcome", if outcome.result == ActionResult::Succeeded { "outcome-good" } else { "outcome-bad" })} id="action-outcome">
                    { &outcome.message }
                </p>
            }
        </Modal>
    }
}
