//! How WebKit draws the page: on the CPU, and without compositing, not through GL. WebKitGTK
//! 2.50 composites layers with GL and paints them with GL by default; on a machine without a
//! GPU (a VM, a remote desktop, Xvfb) that GL is Mesa's software rasterizer, whose threads took
//! more CPU than the rest of the web process together and held about 75 MiB more, and the
//! compositor's GL context and layers about 65 MiB more again (docs/benchmarks.md, "How WebKit
//! paints" and "Where the memory goes"). The page is tables and text: painted straight into the
//! window on the CPU, it looks and answers the same.
//!
//! Driven by WebDriver (tauri-driver sets `TAURI_WEBVIEW_AUTOMATION`), compositing stays on:
//! WebKitWebDriver 2.50's synthesized clicks can wait forever on a page painted without it,
//! while a person's clicks and hovers do not (`tests/tests/window_as_shipped.rs` clicks the
//! shipped window with the X server's pointer).

/// WebKitGTK's switch for painting on the CPU, read by its web process when it starts.
const CPU_RENDERING: &str = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";
/// WebKitGTK's switch for painting the page straight into the window, without compositing.
const NO_COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
/// Set by tauri-driver for the app it starts: the window is driven by WebDriver.
const DRIVEN_BY_WEBDRIVER: &str = "TAURI_WEBVIEW_AUTOMATION";

/// Asks WebKit to paint on the CPU and, unless WebDriver drives the window, without
/// compositing, leaving each switch the user's environment sets as it is
/// (`WEBKIT_DISABLE_COMPOSITING_MODE=0` keeps compositing). Runs first in `main`: the
/// environment is changed in place, which is sound only while no other thread can read it.
pub fn paint_on_the_cpu() {
    let driven = std::env::var_os(DRIVEN_BY_WEBDRIVER).is_some_and(|value| value == "true");
    let switches = [(CPU_RENDERING, true), (NO_COMPOSITING, !driven)];
    for (name, wanted) in switches {
        if wanted
            && std::env::var_os(name).is_none()
            && let Err(error) = glib::setenv(name, "1", false)
        {
            eprintln!("warning: WebKit may paint through GL: {name} not set: {error}");
        }
    }
}
