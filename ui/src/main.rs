//! Tenantry's user interface: a Yew single-page app inside the Tauri window. It talks to the
//! backend only through [`ipc`] and only in `tenantry_model` types.

mod app;
mod components;
mod hooks;
mod ipc;
mod pages;
mod state;

fn main() {
    // Timing marks for the benchmarks, which split the window's start: when WebKit began to load
    // the page (the navigation's time origin) and when the page's code began to run.
    let running = js_sys::Date::now();
    let loading = web_sys::window().and_then(|window| window.performance()).map(|p| p.time_origin());
    wasm_bindgen_futures::spawn_local(async move {
        if let Some(loading) = loading {
            let _ = ipc::mark_at("page loading", loading).await;
        }
        let _ = ipc::mark_at("page running", running).await;
    });
    yew::Renderer::<app::App>::new().render();
}
