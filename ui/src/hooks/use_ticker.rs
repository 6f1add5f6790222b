//! A counter that grows every few seconds while the caller is mounted, for views that follow
//! something the backend changes (a running rollout).

use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::Closure;
use yew::prelude::*;

/// A number that grows by one every `every_ms` milliseconds; an effect that depends on it
/// runs again on every tick.
#[hook]
pub fn use_ticker(every_ms: i32) -> u32 {
    let ticks = use_state(|| 0_u32);
    {
        let ticks = ticks.clone();
        use_effect_with(every_ms, move |every_ms| {
            let counter = std::rc::Rc::new(std::cell::Cell::new(*ticks));
            let tick = Closure::<dyn Fn()>::new(move || {
                counter.set(counter.get().wrapping_add(1));
                ticks.set(counter.get());
            });
            let window = web_sys::window();
            let id = window.as_ref().and_then(|w| {
                w.set_interval_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), *every_ms).ok()
            });
            move || {
                if let (Some(window), Some(id)) = (window, id) {
                    window.clear_interval_with_handle(id);
                }
                drop(tick);
            }
        });
    }
    *ticks
}
