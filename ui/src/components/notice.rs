//! A problem that concerns the whole screen, with its technical detail folded away.

use tenantry_model::UiError;
use yew::prelude::*;

/// Properties of [`Notice`].
#[derive(Properties, PartialEq)]
pub struct NoticeProps {
    /// The problem.
    pub error: UiError,
}

/// One clear sentence, and the detail for engineers.
#[function_component(Notice)]
pub fn notice(props: &NoticeProps) -> Html {
    html! {
        <section class="notice" role="alert">
            <strong>{ &props.error.message }</strong>
            if !props.error.detail.is_empty() {
                <details><summary>{ "Details" }</summary><pre>{ &props.error.detail }</pre></details>
            }
        </section>
    }
}
