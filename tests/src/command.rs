//! The `tenantry` command as the CLI tests run it: its kubeconfig, its own data and config
//! folders, and no terminal to ask questions on.

use std::path::Path;
use std::process::{Command, Stdio};

/// `binary` (the built `tenantry`) reading `kubeconfig`, keeping its files in `data_dir` (config
/// in `data_dir/config`), with no standard input.
pub fn tenantry(binary: &str, kubeconfig: &Path, data_dir: &Path) -> Command {
    let mut command = Command::new(binary);
    command
        .env("KUBECONFIG", kubeconfig)
        .env("TENANTRY_DATA_DIR", data_dir)
        .env("TENANTRY_CONFIG_DIR", data_dir.join("config"))
        .stdin(Stdio::null());
    command
}
