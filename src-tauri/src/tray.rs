//! The tray icon: the fleet's health counts (its tooltip and first menu line), the tenants in
//! trouble now as menu items that open the tenant in the window, "Open Tenantry" and "Quit".
//! The menu is the way in on Linux, where tray clicks are not delivered. A desktop without a
//! tray host (or without the indicator library) simply shows none.

use std::time::Duration;

use tauri::Manager as _;
use tauri::State;
use tauri::ipc::Channel;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tenantry_core::fleet::Fleet;
use tenantry_core::tray_menu::{TrayMenu, menu};
use tenantry_model::UiError;
use tokio::sync::watch;

/// How often the menu is brought up to date with the fleet.
const REFRESH: Duration = Duration::from_secs(5);
/// The id prefix of a tenant's menu item: `tenant:CLUSTER/ID`.
const TENANT_ITEM: &str = "tenant:";

/// The tenant the tray asked the window to open last (`CLUSTER`, `ID`).
pub struct OpenRequests(watch::Sender<Option<(String, String)>>);

impl Default for OpenRequests {
    fn default() -> Self {
        Self(watch::channel(None).0)
    }
}

/// Shows the tray icon and keeps its menu current; logs and shows none where it cannot.
pub fn start(app: &tauri::App) {
    let shown = app
        .default_window_icon()
        .cloned()
        .ok_or(tauri::Error::InvalidIcon(std::io::Error::other("no icon")))
        .and_then(|icon| {
            let first =
                items(app.handle(), &TrayMenu { counts: "Reading the fleet…".into(), problems: Vec::new(), more: 0 })?;
            TrayIconBuilder::with_id("fleet")
                .icon(icon)
                .tooltip("Tenantry")
                .menu(&first)
                .show_menu_on_left_click(true)
                .on_menu_event(|handle, event| chosen(handle, event.id.as_ref()))
                .build(app)
        });
    match shown {
        Ok(tray) => {
            tauri::async_runtime::spawn(keep_current(app.handle().clone(), tray));
        }
        Err(error) => tracing::warn!(error = %tenantry_core::error::chain(&error), "no tray icon on this desktop"),
    }
}

/// Rebuilds the menu from the fleet whenever what it shows changed.
async fn keep_current(handle: tauri::AppHandle, tray: TrayIcon) {
    let mut shown: Option<TrayMenu> = None;
    let mut ticks = tokio::time::interval(REFRESH);
    loop {
        ticks.tick().await;
        let Some(fleet) = handle.try_state::<Fleet>() else { continue };
        let now = fleet.read_tenants(|rows| menu(rows));
        if shown.as_ref() == Some(&now) {
            continue;
        }
        let updated = items(&handle, &now)
            .and_then(|items| tray.set_menu(Some(items)))
            .and_then(|()| tray.set_tooltip(Some(format!("Tenantry — {}", now.counts))));
        if let Err(error) = updated {
            tracing::warn!(error = %tenantry_core::error::chain(&error), "the tray menu could not be updated");
        }
        shown = Some(now);
    }
}

/// The menu's items for `content`.
fn items(handle: &tauri::AppHandle, content: &TrayMenu) -> tauri::Result<Menu<tauri::Wry>> {
    let menu = Menu::new(handle)?;
    menu.append(&MenuItem::with_id(handle, "counts", &content.counts, false, None::<&str>)?)?;
    if !content.problems.is_empty() {
        menu.append(&PredefinedMenuItem::separator(handle)?)?;
    }
    for problem in &content.problems {
        let id = format!("{TENANT_ITEM}{}/{}", problem.cluster, problem.id);
        menu.append(&MenuItem::with_id(handle, id, &problem.label, true, None::<&str>)?)?;
    }
    if content.more > 0 {
        let more = format!("and {} more in trouble", content.more);
        menu.append(&MenuItem::with_id(handle, "more", more, false, None::<&str>)?)?;
    }
    menu.append(&PredefinedMenuItem::separator(handle)?)?;
    menu.append(&MenuItem::with_id(handle, "open", "Open Tenantry", true, None::<&str>)?)?;
    menu.append(&MenuItem::with_id(handle, "quit", "Quit", true, None::<&str>)?)?;
    Ok(menu)
}

/// Carries out the menu item `id`.
fn chosen(handle: &tauri::AppHandle, id: &str) {
    match id {
        "open" => crate::show_window(handle),
        "quit" => handle.exit(0),
        tenant => {
            let Some((cluster, id)) = tenant.strip_prefix(TENANT_ITEM).and_then(|key| key.split_once('/')) else {
                return;
            };
            crate::show_window(handle);
            if let Some(requests) = handle.try_state::<OpenRequests>() {
                requests.0.send_replace(Some((cluster.to_owned(), id.to_owned())));
            }
        }
    }
}

/// Sends `on_event` each tenant the tray asks the window to open, for as long as the window listens.
#[tauri::command]
pub async fn watch_open_requests(
    requests: State<'_, OpenRequests>,
    on_event: Channel<(String, String)>,
) -> Result<(), UiError> {
    let mut asked = requests.0.subscribe();
    while asked.changed().await.is_ok() {
        let Some(tenant) = asked.borrow_and_update().clone() else { continue };
        if on_event.send(tenant).is_err() {
            break;
        }
    }
    Ok(())
}
