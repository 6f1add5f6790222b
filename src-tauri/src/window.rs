//! The window opens as the user left it: its size, place and maximized state and the view it
//! showed are written to the config folder as they change (a small file replaced whole, so an
//! app that is killed keeps what it had; `core::window_state`); the UI asks for the view at
//! start (`last_view`) and tells each change (`remember_view`). It is created hidden and shown
//! once its page starts loading (`show_on_load`).

use std::sync::{Mutex, Once};
use std::time::Duration;

use tauri::webview::{PageLoadEvent, PageLoadPayload};
use tauri::{Manager as _, PhysicalPosition, PhysicalSize, State, Webview, WebviewWindow, WindowEvent};
use tenantry_core::window_state;
use tenantry_model::{View, WindowState};

/// How long the window stays hidden at most when its page never starts loading.
const SHOW_BOUND: Duration = Duration::from_secs(3);

/// Whether the window has been shown once; later it is hidden and shown only by the user.
static SHOWN_ONCE: Once = Once::new();

/// Shows the window once its page starts loading. It is created hidden (`visible: false` in
/// `tauri.conf.json`): shown at once, GTK paints it while WebKit's web process is still starting,
/// and WebKit then holds the app's main thread for up to half a second waiting for that process's
/// first frame — which measured the page's start at 0.9 s instead of 0.35 s.
pub fn show_on_load(webview: &Webview, payload: &PageLoadPayload<'_>) {
    if payload.event() == PageLoadEvent::Started {
        show_first_time(&webview.window());
    }
}

/// Shows the main window after [`SHOW_BOUND`] if its page never started loading, so a broken
/// page is a visible window rather than none at all.
pub async fn show_anyway(handle: tauri::AppHandle) {
    tokio::time::sleep(SHOW_BOUND).await;
    if let Some(window) = handle.get_webview_window("main") {
        show_first_time(&window.as_ref().window());
    }
}

/// Shows `window` unless it has been shown before: a window the user hid to the tray since, or
/// a page that loads again, leaves it where it is.
fn show_first_time(window: &tauri::Window) {
    SHOWN_ONCE.call_once(|| {
        if let Err(error) = window.show() {
            tracing::warn!(error = %tenantry_core::error::chain(&error), "the window could not be shown");
        }
    });
}

/// The window's state as it is now; `None` until the window is known.
#[derive(Default)]
pub struct Followed(Mutex<Option<WindowState>>);

/// Opens the main window as remembered (its place only when that is on a screen now).
pub fn restore(app: &tauri::App) {
    let remembered = window_state::load(&tenantry_core::paths::window_file());
    let Some(window) = app.get_webview_window("main") else { return };
    if let Some(state) = remembered {
        let _ = window.set_size(PhysicalSize::new(state.width, state.height));
        if on_a_screen(&window, state.x, state.y) {
            let _ = window.set_position(PhysicalPosition::new(state.x, state.y));
        }
        if state.maximized {
            let _ = window.maximize();
        }
    }
    let now = remembered.unwrap_or_else(|| measured(&window, View::default()));
    app.manage(Followed(Mutex::new(Some(now))));
}

/// Follows the main window's moves and resizes, writing each (and once more when it closes).
pub fn follow(window: &tauri::Window, event: &WindowEvent) {
    let Some(followed) = window.try_state::<Followed>() else { return };
    let Some(webview) = window.get_webview_window(window.label()) else { return };
    match event {
        WindowEvent::Moved(_) | WindowEvent::Resized(_) => {
            let changed = {
                let mut state = followed.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                state.as_mut().is_some_and(|state| {
                    let now = measured(&webview, state.view);
                    // Maximized, it keeps the size and place it returns to.
                    let next = if now.maximized { WindowState { maximized: true, ..*state } } else { now };
                    std::mem::replace(state, next) != next
                })
            };
            // Written only when it changed: a window's events repeat what it already said.
            if changed {
                save(&followed);
            }
        }
        WindowEvent::CloseRequested { .. } | WindowEvent::Destroyed => save(&followed),
        _ => {}
    }
}

/// Writes the followed state.
pub fn save(followed: &Followed) {
    let state = *followed.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(state) = state
        && let Err(error) = window_state::save(&tenantry_core::paths::window_file(), &state)
    {
        tracing::warn!(%error, "the window's state was not remembered");
    }
}

/// The view the window showed when it was last closed.
#[tauri::command]
pub fn last_view(followed: State<'_, Followed>) -> View {
    followed.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).map(|state| state.view).unwrap_or_default()
}

/// Notes the view the window shows now.
#[tauri::command]
pub fn remember_view(followed: State<'_, Followed>, view: View) {
    let changed = followed
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .as_mut()
        .is_some_and(|state| std::mem::replace(&mut state.view, view) != view);
    if changed {
        save(&followed);
    }
}

/// The window's size, place and maximized state now, showing `view`.
fn measured(window: &WebviewWindow, view: View) -> WindowState {
    let size = window.inner_size().unwrap_or(PhysicalSize::new(window_state::MIN_SIZE.0, window_state::MIN_SIZE.1));
    let place = window.outer_position().unwrap_or_default();
    let maximized = window.is_maximized().unwrap_or(false);
    WindowState { width: size.width, height: size.height, x: place.x, y: place.y, maximized, view }
}

/// Whether a window placed at (`x`, `y`) would show its top-left corner on one of the screens.
fn on_a_screen(window: &WebviewWindow, x: i32, y: i32) -> bool {
    window.available_monitors().unwrap_or_default().iter().any(|monitor| {
        let (place, size) = (monitor.position(), monitor.size());
        let right = place.x.saturating_add(i32::try_from(size.width).unwrap_or(i32::MAX));
        let bottom = place.y.saturating_add(i32::try_from(size.height).unwrap_or(i32::MAX));
        (place.x..right).contains(&x.saturating_add(20)) && (place.y..bottom).contains(&y.saturating_add(20))
    })
}
