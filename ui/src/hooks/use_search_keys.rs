//! Keyboard for a search box: `/` anywhere focuses it, Esc in it clears it.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::use_keydown;

/// While the caller is mounted: `/` (outside a text field) focuses `input`; Esc inside it calls
/// `on_clear` and leaves the field.
#[hook]
pub fn use_search_keys(input: NodeRef, on_clear: Callback<()>) {
    use_keydown(move |event, typing| {
        let Some(field) = input.cast::<HtmlInputElement>() else { return };
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
}
