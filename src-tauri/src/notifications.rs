//! Desktop notifications in the app: the task that follows the fleet and tells the desktop
//! (core's `notifications::tell`), and the commands that read and change which clusters and
//! tenants it speaks of (`notifications.json` in the config folder), taking effect at once.

use tauri::State;
use tenantry_core::fleet::Fleet;
use tenantry_model::{ErrorKind, NotificationSettings, UiError};
use tokio::sync::watch;

/// The settings in force; the telling task follows every change.
pub struct Notifications(watch::Sender<NotificationSettings>);

impl Notifications {
    /// Starts telling the desktop about `fleet` under the saved settings.
    pub fn start(fleet: &Fleet) -> Self {
        let settings = tenantry_core::notifications::load(&tenantry_core::paths::notifications_file());
        let (sender, receiver) = watch::channel(settings);
        let hold = tenantry_core::notifications::DEFAULT_HOLD;
        tauri::async_runtime::spawn(tenantry_core::notifications::tell(fleet.subscribe(), receiver, hold));
        Self(sender)
    }
}

/// The notification settings in force.
#[tauri::command]
pub fn notification_settings(notifications: State<'_, Notifications>) -> NotificationSettings {
    notifications.0.borrow().clone()
}

/// Saves `settings` in the config folder and puts them in force.
#[tauri::command]
pub fn save_notification_settings(
    notifications: State<'_, Notifications>,
    settings: NotificationSettings,
) -> Result<(), UiError> {
    tenantry_core::notifications::save(&tenantry_core::paths::notifications_file(), &settings).map_err(|err| {
        UiError {
            kind: ErrorKind::Internal,
            message: "The notification settings could not be saved in the config folder.".into(),
            detail: tenantry_core::error::chain(&err),
        }
    })?;
    tracing::info!(
        enabled = settings.enabled,
        muted_clusters = settings.muted_clusters.len(),
        "notification settings saved"
    );
    notifications.0.send_replace(settings);
    Ok(())
}
