//! Declares the app's own commands so that Tauri access-checks them against the capabilities.

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "watch_clusters",
        "add_cluster",
        "remove_cluster",
        "watch_tenants",
        "tenant_detail",
        "log_access",
        "tenant_logs",
        "stop_logs",
        "save_logs",
        "action_access",
        "preview_action",
        "run_action",
        "unfinished_actions",
        "resume_action",
        "roll_back_action",
        "tenant_drift",
        "accept_drift",
        "audit_log",
        "export_audit",
        "read_tenancy",
        "check_tenancy",
        "save_tenancy",
        "tenant_timeline",
        "since_last_looked",
        "write_bundle",
        "open_export_folder",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)).expect("tauri build step failed");
}
