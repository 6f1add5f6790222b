//! Esc outside a text field, e.g. to leave a detail view.

use yew::prelude::*;

use super::use_keydown;

/// Calls `on_escape` when Esc is pressed outside a text field, while the caller is mounted.
#[hook]
pub fn use_escape(on_escape: Callback<()>) {
    use_keydown(move |event, typing| {
        if event.key() == "Escape" && !typing {
            on_escape.emit(());
        }
    });
}
