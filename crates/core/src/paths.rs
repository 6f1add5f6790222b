//! Where Tenantry keeps its files on this machine.

use std::path::PathBuf;

/// Environment variable that overrides the data folder (tests, portable installs).
pub const DATA_DIR_VAR: &str = "TENANTRY_DATA_DIR";

/// The app's data folder: `$TENANTRY_DATA_DIR`, else the platform's (on Linux
/// `~/.local/share/tenantry`), else `./tenantry-data` when no home folder is known.
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(DATA_DIR_VAR).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("io", "tenantry", "tenantry")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from("tenantry-data"))
}

/// Environment variable that overrides the config folder (tests, portable installs).
pub const CONFIG_DIR_VAR: &str = "TENANTRY_CONFIG_DIR";

/// The app's config folder: `$TENANTRY_CONFIG_DIR`, else the platform's (on Linux
/// `~/.config/tenantry`), else `./tenantry-config` when no home folder is known.
pub fn config_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(CONFIG_DIR_VAR).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("io", "tenantry", "tenantry")
        .map(|dirs| dirs.config_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from("tenantry-config"))
}

/// The folder of blueprint files (`*.yaml`).
pub fn blueprint_dir() -> PathBuf {
    config_dir().join("blueprints")
}

/// The file name of the list of clusters added in Tenantry, in the config folder.
pub const ADDED_CLUSTERS_FILE_NAME: &str = "clusters.yaml";
/// The file name of the field managers declared controllers of record, in the config folder.
pub const CONTROLLERS_FILE_NAME: &str = "controllers-of-record.yaml";
/// The file name of the tenancy rules, in the config folder.
pub const TENANCY_FILE_NAME: &str = "tenancy.yaml";
/// The file name of the user's groups of clusters, in the config folder.
pub const CLUSTER_GROUPS_FILE_NAME: &str = "cluster-groups.json";
/// The file name of the clusters the user chose for the fleet, in the config folder.
pub const WATCHED_CLUSTERS_FILE_NAME: &str = "watched-clusters.json";
/// The file name of the notification settings, in the config folder.
pub const NOTIFICATIONS_FILE_NAME: &str = "notifications.json";
/// The file name of the window's remembered size, place and view, in the config folder.
pub const WINDOW_FILE_NAME: &str = "window.json";
/// The file name of the last tenancy rules that loaded, in the data folder.
pub const TENANCY_LAST_GOOD_FILE_NAME: &str = "tenancy.last-good.yaml";
/// The cache's file name in the data folder.
pub const CACHE_FILE_NAME: &str = "cache.sqlite";
/// The file name of the action journal and audit log, beside the cache.
pub const RECORDS_FILE_NAME: &str = "records.sqlite";
/// The file name of the lock held while the cache's files are opened, beside the cache.
pub const CACHE_LOCK_FILE_NAME: &str = "cache.lock";

/// The notification settings (see `notifications`).
pub fn notifications_file() -> PathBuf {
    config_dir().join(NOTIFICATIONS_FILE_NAME)
}

/// The user's groups of clusters (see `cluster_groups`).
pub fn cluster_groups_file() -> PathBuf {
    config_dir().join(CLUSTER_GROUPS_FILE_NAME)
}

/// The clusters the user chose for the fleet (see `watch_choice`).
pub fn watched_clusters_file() -> PathBuf {
    config_dir().join(WATCHED_CLUSTERS_FILE_NAME)
}

/// The list of clusters added in Tenantry (no secrets: their tokens are in the OS keyring).
pub fn added_clusters_file() -> PathBuf {
    config_dir().join(ADDED_CLUSTERS_FILE_NAME)
}

/// The field managers the user declares controllers of record (a YAML list of names).
pub fn controllers_file() -> PathBuf {
    config_dir().join(CONTROLLERS_FILE_NAME)
}

/// The folder of the rotating log files.
pub fn log_dir() -> PathBuf {
    data_dir().join("logs")
}

/// The cache file.
pub fn cache_file() -> PathBuf {
    data_dir().join(CACHE_FILE_NAME)
}

/// The window as the user left it (size, place, view).
pub fn window_file() -> PathBuf {
    config_dir().join(WINDOW_FILE_NAME)
}

/// The tenancy rules: which namespaces are tenants.
pub fn tenancy_file() -> PathBuf {
    config_dir().join(TENANCY_FILE_NAME)
}

/// The copy of the last tenancy rules that loaded, in force while the file is broken.
pub fn tenancy_last_good() -> PathBuf {
    data_dir().join(TENANCY_LAST_GOOD_FILE_NAME)
}

/// The folder of what the user exports: audit CSVs, saved logs, escalation bundles.
pub fn exports_dir() -> PathBuf {
    data_dir().join("exports")
}

/// A new file in [`exports_dir`] named `<stem>-<UTC time>.<extension>`, `stem` reduced to
/// letters, digits, dots and dashes (a tenant or cluster name can be anything).
pub fn export_file(stem: &str, extension: &str) -> PathBuf {
    let safe: String =
        stem.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect();
    let safe = safe.trim_start_matches('.');
    let stamp = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S");
    exports_dir().join(format!("{safe}-{stamp}.{extension}"))
}
