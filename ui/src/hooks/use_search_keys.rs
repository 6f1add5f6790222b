//! Keyboard for a search box: `/` anywhere focuses it, Esc in it clears it.

use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::Closure;
use web_sys::{HtmlInputElement, KeyboardEvent};
use yew::prelude::*;

/// Listens on the document while the calling component is mounted: `/` (outside a text field)
/// focuses `input`; Esc inside it calls `on_clear` and leaves the field.
#[hook]
pub fn use_search_keys(input: NodeRef, on_clear: Callback<()>) {
    use_effect_with((), move |_| {
        let listener = Closure::<dyn Fn(KeyboardEvent)>::new(move |event: KeyboardEvent| {
            let Some(field) = input.cast::<HtmlInputElement>() else { return };
            let typing = event
                .target()
                .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|element| matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA"));
            match event.key().as_str() {
                "/" if !typing => {
                    event.prevent_default();
                    let _ = field.focus();
                }
                "Escape" if typing => {
                    on_clear.emit(());
                    let _ = field.blur();
                }
                _ => {}
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
