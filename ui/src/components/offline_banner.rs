//! "Offline — cached state as of …": shown while any row is not live.

use yew::prelude::*;

use crate::hooks::ago;

/// Properties of [`OfflineBanner`].
#[derive(Properties, PartialEq)]
pub struct OfflineBannerProps {
    /// The oldest time a shown row was last seen live (RFC 3339).
    pub as_of: String,
    /// The clusters that are not live, comma-separated.
    pub clusters: String,
    /// Now, in ms since the epoch.
    pub now: f64,
}

/// One line: since when the shown state is cached, how old that is, and which clusters.
#[function_component(OfflineBanner)]
pub fn offline_banner(props: &OfflineBannerProps) -> Html {
    let local =
        js_sys::Date::new(&props.as_of.as_str().into()).to_locale_string("en-GB", &wasm_bindgen::JsValue::UNDEFINED);
    let which = if props.clusters.is_empty() { String::new() } else { format!("Not live: {}.", props.clusters) };
    html! {
        <section class="offline-banner" role="status" id="offline-banner">
            <strong>{ format!("Offline — cached state as of {} ({})", String::from(local), ago(&props.as_of, props.now)) }</strong>
            <span>{ which }</span>
            <span class="muted">{ "Rows turn live as their cluster answers." }</span>
        </section>
    }
}
