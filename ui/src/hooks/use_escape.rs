//! Esc outside a text field, e.g. to leave a detail view.

use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::Closure;
use web_sys::KeyboardEvent;
use yew::prelude::*;

/// Calls `on_escape` when Esc is pressed outside a text field, while the caller is mounted.
#[hook]
pub fn use_escape(on_escape: Callback<()>) {
    use_effect_with((), move |_| {
        let listener = Closure::<dyn Fn(KeyboardEvent)>::new(move |event: KeyboardEvent| {
            let typing = event
                .target()
                .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|element| matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA"));
            if event.key() == "Escape" && !typing {
                on_escape.emit(());
            }
        });
        let document = web_sys::window().and_then(|w| w.document());
        if let Some(document) = &document {
            let _ = document.add_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
        }
        move || {
            if let Some(document) = document {
                let _ = document.remove_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
            }
        }
    });
}
