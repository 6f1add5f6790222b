//! The Tauri commands of a tenant's logs: whether the identity may read them, the log stream
//! (stopped by the window when it closes the view), and saving what the window holds.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use futures::StreamExt as _;
use futures::future::{AbortHandle, AbortRegistration, Abortable};
use tauri::State;
use tauri::ipc::Channel;
use tenantry_core::fleet::Fleet;
use tenantry_model::{ErrorKind, LogEvent, LogRequest, UiError};

/// The log streams the window has open, by the number it gave each.
#[derive(Default)]
pub struct LogStreams(Mutex<HashMap<u64, AbortHandle>>);

impl LogStreams {
    fn open(&self, stream: u64) -> AbortRegistration {
        let (handle, registration) = AbortHandle::new_pair();
        self.0.lock().unwrap_or_else(PoisonError::into_inner).insert(stream, handle);
        registration
    }

    fn close(&self, stream: u64) {
        if let Some(handle) = self.0.lock().unwrap_or_else(PoisonError::into_inner).remove(&stream) {
            handle.abort();
        }
    }
}

/// The permission reading tenant `id`'s logs needs, when the identity lacks it.
#[tauri::command]
pub async fn log_access(fleet: State<'_, Fleet>, cluster: String, id: String) -> Result<Option<String>, UiError> {
    fleet.log_access(&cluster, &id).await.map_err(|e| e.to_ui())
}

/// Streams tenant `id`'s logs as `request` says to `on_event` until they end or the window
/// calls [`stop_logs`] with the same `stream` number.
#[tauri::command]
pub async fn tenant_logs(
    fleet: State<'_, Fleet>,
    streams: State<'_, LogStreams>,
    cluster: String,
    id: String,
    request: LogRequest,
    stream: u64,
    on_event: Channel<LogEvent>,
) -> Result<(), UiError> {
    let stop = streams.open(stream);
    let read = async {
        let events = fleet.logs(&cluster, &id, &request).await.map_err(|e| e.to_ui())?;
        let mut events = std::pin::pin!(events);
        while let Some(event) = events.next().await {
            if on_event.send(event).is_err() {
                break;
            }
        }
        Ok(())
    };
    // Stopped by the window: not an error.
    let result = Abortable::new(read, stop).await.unwrap_or(Ok(()));
    streams.close(stream);
    result
}

/// Stops log stream `stream`.
#[tauri::command]
pub fn stop_logs(streams: State<'_, LogStreams>, stream: u64) {
    streams.close(stream);
}

/// Writes `text` (the lines the window holds) into the exports folder as `<name>-<time>.log`;
/// returns the file's path.
#[tauri::command]
pub fn save_logs(name: String, text: String) -> Result<String, UiError> {
    let path = tenantry_core::paths::export_file(&name, "log");
    std::fs::create_dir_all(tenantry_core::paths::exports_dir()).and_then(|()| std::fs::write(&path, text)).map_err(
        |e| UiError {
            kind: ErrorKind::Internal,
            message: "The log could not be saved.".into(),
            detail: tenantry_core::error::chain(&e),
        },
    )?;
    Ok(path.display().to_string())
}
