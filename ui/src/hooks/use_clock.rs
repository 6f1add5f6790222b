//! A re-render every half minute, so that ages ("cached, 5 min old") stay true while nothing
//! else changes.

use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::Closure;
use yew::prelude::*;

/// How often the clock ticks, in milliseconds.
const TICK_MS: i32 = 30_000;

/// The current time in milliseconds since the epoch, refreshed every tick.
#[hook]
pub fn use_clock() -> f64 {
    let now = use_state(js_sys::Date::now);
    {
        let now = now.clone();
        use_effect_with((), move |_| {
            let tick = Closure::<dyn Fn()>::new(move || now.set(js_sys::Date::now()));
            let window = web_sys::window();
            let id = window.as_ref().and_then(|w| {
                w.set_interval_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), TICK_MS).ok()
            });
            move || {
                if let (Some(window), Some(id)) = (window, id) {
                    window.clear_interval_with_handle(id);
                }
                drop(tick);
            }
        });
    }
    *now
}

/// How long before `now` (ms since the epoch) the RFC 3339 time `at` was, as "5 min".
pub fn age(at: &str, now: f64) -> String {
    let then = js_sys::Date::parse(at);
    if then.is_nan() {
        return "?".into();
    }
    tenantry_model::format_age(((now - then) / 1000.0) as i64)
}

/// "5 min ago", or "just now".
pub fn ago(at: &str, now: f64) -> String {
    match age(at, now) {
        text if text == "just now" || text == "?" => text,
        text => format!("{text} ago"),
    }
}
