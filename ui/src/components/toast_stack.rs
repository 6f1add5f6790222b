//! The toasts in the window's corner; each can be closed, and each fades after a while.

use yew::prelude::*;

use crate::hooks::use_clock;
use crate::state::toast::{ToastAction, Toasts, Tone};

/// How long a toast saying something went well stays, in milliseconds.
const GOOD_SHOWN_MS: f64 = 10_000.0;
/// How long a toast saying something failed stays, in milliseconds (long enough to read and act on).
const BAD_SHOWN_MS: f64 = 60_000.0;

/// Properties of [`ToastStack`].
#[derive(Properties, PartialEq)]
pub struct ToastStackProps {
    /// The toasts (the reducer's handle).
    pub toasts: UseReducerHandle<Toasts>,
}

/// The recent toasts, newest at the bottom.
#[function_component(ToastStack)]
pub fn toast_stack(props: &ToastStackProps) -> Html {
    let now = use_clock();
    html! {
        <div class="toasts" aria-live="polite">
            { for props.toasts.shown.iter().filter(|t| now - t.at < match t.tone { Tone::Good => GOOD_SHOWN_MS, Tone::Bad => BAD_SHOWN_MS }).map(|toast| {
                let (toasts, id) = (props.toasts.clone(), toast.id);
                let tone = match toast.tone { Tone::Good => "toast-good", Tone::Bad => "toast-bad" };
                html! {
                    <div class={classes!("toast", tone)} role="status">
                        <span>{ &toast.message }</span>
                        <button class="toast-close" aria-label="Close" onclick={Callback::from(move |_: MouseEvent| toasts.dispatch(ToastAction::Dismiss(id)))}>{ "×" }</button>
                    </div>
                }
            }) }
        </div>
    }
}
