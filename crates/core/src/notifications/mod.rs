//! Desktop notifications about the fleet: what to tell ([`alerts`], debounced), how
//! ([`desktop`], the session bus's notification service), about which tenants (the user's
//! [`NotificationSettings`], `notifications.json` in the config folder), and the task that
//! follows the fleet's events and tells.

pub mod alerts;
pub mod desktop;

use std::path::Path;
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt as _};
use tenantry_model::{FleetEvent, NotificationSettings};
use tokio::sync::watch;

use alerts::{Alert, Alerts};
use desktop::Desktop;

/// How long a change must hold before it is told, unless set otherwise.
pub const DEFAULT_HOLD: Duration = Duration::from_secs(30);
/// How often due notices are looked for.
const TICK: Duration = Duration::from_secs(1);

/// The settings in `path`; none yet, or unreadable (logged), are the defaults (all on).
pub fn load(path: &Path) -> NotificationSettings {
    crate::json_file::read(path, "the notification settings").unwrap_or_default()
}

/// Writes `settings` to `path`: to a sibling file first, then renamed over the old one.
pub fn save(path: &Path, settings: &NotificationSettings) -> std::io::Result<()> {
    crate::json_file::write(path, settings)
}

/// Follows `events` (a fleet subscription) and tells the desktop what is due, each change held
/// for `hold`, under the settings `settings` holds at each moment; ends with the events.
pub async fn tell(
    events: impl Stream<Item = FleetEvent>,
    mut settings: watch::Receiver<NotificationSettings>,
    hold: Duration,
) {
    let mut alerts = Alerts::new(settings.borrow_and_update().clone(), hold);
    let (deliver, delivery) = std::sync::mpsc::channel::<Alert>();
    std::thread::Builder::new()
        .name("notifications".into())
        .spawn(move || show_all(&delivery))
        .map_err(|error| tracing::warn!(%error, "no notification thread; nothing will be told"))
        .ok();
    let mut events = std::pin::pin!(events);
    let mut ticks = tokio::time::interval(TICK);
    let mut settings_kept = true;
    loop {
        tokio::select! {
            event = events.next() => match event {
                Some(event) => alerts.observe(&event, Instant::now()),
                None => break,
            },
            _ = ticks.tick() => {
                for alert in alerts.due(Instant::now()) {
                    tracing::info!(summary = %alert.summary, "telling the desktop");
                    let _ = deliver.send(alert);
                }
            }
            changed = settings.changed(), if settings_kept => match changed {
                Ok(()) => alerts.set_settings(settings.borrow_and_update().clone()),
                Err(_) => settings_kept = false,
            },
        }
    }
}

/// Shows each notice as it comes; a desktop without a session bus or service is told about
/// once in the log, and asked again for the next notice.
fn show_all(delivery: &std::sync::mpsc::Receiver<Alert>) {
    let mut desktop: Option<Desktop> = None;
    let mut warned = false;
    for alert in delivery {
        if desktop.is_none() {
            desktop = Desktop::connect()
                .inspect_err(|error| {
                    if !warned {
                        tracing::warn!(error = %crate::error::chain(error), "notifications cannot be shown");
                    }
                })
                .ok();
        }
        let Some(connected) = &desktop else {
            warned = true;
            continue;
        };
        if let Err(error) = connected.show(&alert) {
            if !warned {
                tracing::warn!(error = %crate::error::chain(&error), "a notification was not shown");
            }
            warned = true;
            desktop = None;
        }
    }
}
