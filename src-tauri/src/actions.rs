//! The Tauri commands of tenant actions: what the identity may do, the preview, running an
//! action with its progress on a channel, unfinished actions, and the audit log.

use tauri::State;
use tauri::ipc::Channel;
use tenantry_core::actions::Actions;
use tenantry_core::cluster::ClusterList;
use tenantry_core::fleet::Fleet;
use tenantry_core::kubeconfig::{ContextEntry, Sources};
use tenantry_model::{
    ActionAccess, ActionEvent, ActionRequest, AuditEntry, AuditFilter, DriftAcceptance, DriftReport, ErrorKind,
    JournalEntry, Outcome, Preview, UiError,
};

/// For each action on tenant `id` of `context`, the permissions it lacks.
#[tauri::command]
pub async fn action_access(
    actions: State<'_, Actions>,
    context: String,
    id: String,
) -> Result<Vec<ActionAccess>, UiError> {
    actions.access(&entry(&context)?, &id).await.map_err(|e| e.to_ui())
}

/// What `request` would change (the server's dry run), without changing anything.
#[tauri::command]
pub async fn preview_action(actions: State<'_, Actions>, request: ActionRequest) -> Result<Preview, UiError> {
    actions.preview(&entry(&request.context)?, &request).await.map_err(|e| e.to_ui())
}

/// Runs `request`, streaming its progress to `on_event`.
#[tauri::command]
pub async fn run_action(
    actions: State<'_, Actions>,
    fleet: State<'_, Fleet>,
    request: ActionRequest,
    on_event: Channel<ActionEvent>,
) -> Result<Outcome, UiError> {
    let outcome = actions.run(&entry(&request.context)?, &request, progress(on_event)).await.map_err(|e| e.to_ui());
    // An action may have repaired or made drift: the rows' marks follow at once.
    fleet.recheck_drift(&request.context);
    outcome
}

/// Actions that did not finish, oldest first.
#[tauri::command]
pub async fn unfinished_actions(actions: State<'_, Actions>) -> Result<Vec<JournalEntry>, UiError> {
    actions.unfinished().await.map_err(|e| e.to_ui())
}

/// Runs unfinished action `id` again until it is done.
#[tauri::command]
pub async fn resume_action(
    actions: State<'_, Actions>,
    context: String,
    id: i64,
    on_event: Channel<ActionEvent>,
) -> Result<Outcome, UiError> {
    actions.resume(&entry(&context)?, id, progress(on_event)).await.map_err(|e| e.to_ui())
}

/// Undoes unfinished action `id` (`confirm`: the tenant id, when that deletes a created tenant).
#[tauri::command]
pub async fn roll_back_action(
    actions: State<'_, Actions>,
    context: String,
    id: i64,
    confirm: String,
    on_event: Channel<ActionEvent>,
) -> Result<Outcome, UiError> {
    actions.roll_back(&entry(&context)?, id, &confirm, progress(on_event)).await.map_err(|e| e.to_ui())
}

/// Tenant `id`'s drift: the server's dry run of its render over the live objects.
#[tauri::command]
pub async fn tenant_drift(
    actions: State<'_, Actions>,
    fleet: State<'_, Fleet>,
    context: String,
    id: String,
) -> Result<DriftReport, UiError> {
    let report = actions.drift(&entry(&context)?, &id).await.map_err(|e| e.to_ui());
    // The fleet's mark of this tenant follows what a person just saw.
    fleet.recheck_drift(&context);
    report
}

/// The request "Accept" runs for tenant `id`'s drift (none: nothing maps back to the spec) and
/// the drifted fields it cannot record.
#[tauri::command]
pub async fn accept_drift(
    actions: State<'_, Actions>,
    context: String,
    id: String,
    reason: String,
) -> Result<DriftAcceptance, UiError> {
    actions.accept_drift(&entry(&context)?, &id, &reason).await.map_err(|e| e.to_ui())
}

/// The audit log, newest first.
#[tauri::command]
pub async fn audit_log(actions: State<'_, Actions>) -> Result<Vec<AuditEntry>, UiError> {
    actions.audit_log().await.map_err(|e| e.to_ui())
}

/// Writes the audit entries passing `filter` as CSV into the data folder's `exports/`; returns
/// the file's path.
#[tauri::command]
pub async fn export_audit(actions: State<'_, Actions>, filter: AuditFilter) -> Result<String, UiError> {
    let entries: Vec<AuditEntry> =
        actions.audit_log().await.map_err(|e| e.to_ui())?.into_iter().filter(|e| filter.matches(e)).collect();
    let csv = tenantry_core::audit::to_csv(&entries)
        .map_err(|e| internal("The audit log could not be written as CSV.", &e))?;
    let path = tenantry_core::paths::export_file("audit", "csv");
    std::fs::create_dir_all(tenantry_core::paths::exports_dir())
        .and_then(|()| std::fs::write(&path, csv))
        .map_err(|e| internal("The export file could not be written.", &e))?;
    Ok(path.display().to_string())
}

/// The kubeconfig's context named `context`.
fn entry(context: &str) -> Result<ContextEntry, UiError> {
    let list = ClusterList::load_with_added(&Sources::from_env());
    list.entries.iter().find(|e| e.name == context).cloned().ok_or_else(|| UiError {
        kind: ErrorKind::BadKubeconfig,
        message: format!("The kubeconfig no longer has the context {context}."),
        detail: String::new(),
    })
}

/// Sends every progress event to the window; a closed window does not stop the action.
fn progress(channel: Channel<ActionEvent>) -> impl FnMut(ActionEvent) {
    move |event| {
        if let Err(error) = channel.send(event) {
            tracing::debug!(%error, "the window stopped following the action");
        }
    }
}

fn internal(message: &str, error: &(dyn std::error::Error + 'static)) -> UiError {
    UiError { kind: ErrorKind::Internal, message: message.to_owned(), detail: tenantry_core::error::chain(error) }
}
