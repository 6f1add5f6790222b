//! A dialog's failure: its one sentence, and the detail folded away when there is one.

use tenantry_model::UiError;
use yew::prelude::*;

/// Properties of [`FormError`].
#[derive(Properties, PartialEq)]
pub struct FormErrorProps {
    /// The failure.
    pub error: UiError,
    /// The element's id, for tests and labels.
    #[prop_or_default]
    pub id: Option<AttrValue>,
}

/// The sentence, then "Details" with the error chain.
#[function_component(FormError)]
pub fn form_error(props: &FormErrorProps) -> Html {
    html! {
        <div class="form-error" role="alert" id={props.id.clone()}>
            <p>{ &props.error.message }</p>
            if !props.error.detail.is_empty() {
                <details><summary>{ "Details" }</summary><pre>{ &props.error.detail }</pre></details>
            }
        </div>
    }
}
