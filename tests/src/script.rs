//! Executable shell scripts the tests and benchmarks write: credential plugins, mostly.

use std::path::Path;

/// Writes `body` as an executable `#!/bin/sh` script at `path`.
pub fn write_script(path: &Path, body: &str) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::write(path, format!("#!/bin/sh\n{body}\n"))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}
