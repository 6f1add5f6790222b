//! The Tauri commands of the escalation bundle: write it into the exports folder, and open the
//! folder it went to in the desktop's file manager.

use std::path::Path;

use tauri::State;
use tenantry_core::fleet::Fleet;
use tenantry_model::{BundleReport, ErrorKind, UiError};

/// Writes tenant `id`'s escalation bundle into the exports folder.
#[tauri::command]
pub async fn write_bundle(fleet: State<'_, Fleet>, cluster: String, id: String) -> Result<BundleReport, UiError> {
    fleet.bundle(&cluster, &id, &tenantry_core::paths::exports_dir()).await.map_err(|e| e.to_ui())
}

/// Opens the folder holding `path` (a file Tenantry exported) with the desktop's file manager.
#[tauri::command]
pub fn open_export_folder(path: String) -> Result<(), UiError> {
    let exports = tenantry_core::paths::exports_dir();
    let folder = Path::new(&path).parent().unwrap_or(&exports);
    // Only Tenantry's own exports folder (or one below it) is opened, compared once resolved so
    // that `..` cannot lead elsewhere: the window never names arbitrary paths.
    let inside = match (std::fs::canonicalize(folder), std::fs::canonicalize(&exports)) {
        (Ok(folder), Ok(exports)) => folder.starts_with(exports),
        _ => false,
    };
    if !inside {
        return Err(UiError {
            kind: ErrorKind::Invalid,
            message: "Only Tenantry's exports folder can be opened.".into(),
            detail: folder.display().to_string(),
        });
    }
    std::process::Command::new("xdg-open").arg(folder).spawn().map(drop).map_err(|e| UiError {
        kind: ErrorKind::Internal,
        message: format!("The folder {} could not be opened; open it from your file manager.", folder.display()),
        detail: tenantry_core::error::chain(&e),
    })
}
