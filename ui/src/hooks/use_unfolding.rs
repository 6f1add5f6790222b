//! A long list laid out over several frames instead of one: the count of items to show grows a
//! step at a time after the first render, so opening a view with hundreds of rows never holds
//! a single frame for all of them.

use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::Closure;
use yew::prelude::*;

/// Milliseconds between two steps: about one frame.
const STEP_EVERY_MS: i32 = 16;

/// How many of at most `limit` items to show: `step` at first, then `step` more about every
/// frame until `limit`.
#[hook]
pub fn use_unfolding(limit: usize, step: usize) -> usize {
    let shown = use_state(|| step.min(limit));
    {
        let shown = shown.clone();
        use_effect_with((*shown, limit), move |&(count, limit)| {
            let window = web_sys::window();
            let pending = (count < limit).then(|| {
                let grow = Closure::once(move || shown.set((count + step).min(limit)));
                let id = window.as_ref().and_then(|w| {
                    w.set_timeout_with_callback_and_timeout_and_arguments_0(
                        grow.as_ref().unchecked_ref(),
                        STEP_EVERY_MS,
                    )
                    .ok()
                });
                (grow, id)
            });
            move || {
                if let (Some(window), Some((_, Some(id)))) = (window, &pending) {
                    window.clear_timeout_with_handle(*id);
                }
                drop(pending);
            }
        });
    }
    (*shown).min(limit)
}
