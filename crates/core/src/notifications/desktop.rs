//! Shows notices on the desktop through the session bus's notification service
//! (`org.freedesktop.Notifications`: GNOME Shell, KDE Plasma, dunst, mako, …). Without a session
//! bus or a service the notices are logged and dropped; nothing fails.

use std::time::Duration;

use dbus::arg::{PropMap, Variant};
use dbus::blocking::Connection;

use super::alerts::Alert;

/// How long the notification service may take to answer.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a notice was not shown.
#[derive(Debug, thiserror::Error)]
pub enum DesktopError {
    /// There is no session bus to reach a notification service on.
    #[error("there is no session bus")]
    NoSessionBus(#[source] dbus::Error),
    /// The notification service did not take the notice (none runs, or it refused).
    #[error("the notification service did not take the notice")]
    Refused(#[source] dbus::Error),
}

/// A connection to the session bus's notification service.
pub struct Desktop {
    bus: Connection,
}

impl Desktop {
    /// Connects to the session bus.
    pub fn connect() -> Result<Self, DesktopError> {
        Connection::new_session().map(|bus| Self { bus }).map_err(DesktopError::NoSessionBus)
    }

    /// Shows `alert`; trouble as critical (it stays until dismissed), a recovery as normal.
    pub fn show(&self, alert: &Alert) -> Result<u32, DesktopError> {
        let service =
            self.bus.with_proxy("org.freedesktop.Notifications", "/org/freedesktop/Notifications", CALL_TIMEOUT);
        let mut hints = PropMap::new();
        let urgency: u8 = if alert.trouble { 2 } else { 1 };
        hints.insert("urgency".to_owned(), Variant(Box::new(urgency)));
        hints.insert("desktop-entry".to_owned(), Variant(Box::new("tenantry".to_owned())));
        let icon = if alert.trouble { "dialog-warning" } else { "emblem-ok" };
        let (id,): (u32,) = service
            .method_call(
                "org.freedesktop.Notifications",
                "Notify",
                (
                    "Tenantry",
                    0_u32,
                    icon,
                    alert.summary.as_str(),
                    alert.body.as_str(),
                    Vec::<String>::new(),
                    hints,
                    -1_i32,
                ),
            )
            .map_err(DesktopError::Refused)?;
        Ok(id)
    }
}
