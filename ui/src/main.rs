//! Tenantry's user interface: a Yew single-page app inside the Tauri window. It talks to the
//! backend only through [`ipc`] and only in `tenantry_model` types.

mod app;
mod components;
mod hooks;
mod ipc;
mod pages;
mod state;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
