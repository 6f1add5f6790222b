//! Tenantry's desktop shell: the window and the commands the UI calls. Every command is one
//! call into `tenantry_core`; the UI receives only `tenantry_model` types.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;

fn main() {
    let _log_guard = match tenantry_core::logging::init(&tenantry_core::paths::log_dir()) {
        Ok(guard) => Some(guard),
        Err(err) => {
            eprintln!("warning: logging to file is off: {}", tenantry_core::error::chain(&err));
            None
        }
    };
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "Tenantry starting");
    let app = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![
            commands::watch_clusters,
            commands::watch_tenants,
            commands::tenant_detail
        ])
        .run(tauri::generate_context!());
    if let Err(err) = app {
        tracing::error!(error = %tenantry_core::error::chain(&err), "the window could not be opened");
        std::process::exit(1);
    }
}
