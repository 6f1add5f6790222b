//! Finds (building once if needed) the etcd, Kubernetes and KWOK binaries of the local clusters,
//! and runs the build scripts of `tests/cluster`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Error, Result};

/// Folder of the built binaries, as printed by `build-k8s.sh` (cached, keyed by version).
#[derive(Debug, Clone)]
pub struct Binaries {
    dir: PathBuf,
}

impl Binaries {
    /// Runs `tests/cluster/build-k8s.sh`, which returns at once when the binaries are cached.
    pub fn ensure() -> Result<Self> {
        Ok(Self { dir: build("build-k8s.sh")? })
    }

    /// The path of one binary, e.g. `kube-apiserver`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The path of one of KWOK's CRD files the build script keeps beside the binaries, e.g.
    /// `kwok.x-k8s.io_logs.yaml`.
    pub fn crd(&self, file: &str) -> PathBuf {
        self.dir.parent().unwrap_or(&self.dir).join("crd").join(file)
    }

    /// The folder holding every binary; processes started from here are ours.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Runs the build script `tests/cluster/<script>` (it returns at once when its output is cached)
/// and returns the path it prints last: the folder or file it built.
pub(crate) fn build(script: &str) -> Result<PathBuf> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("cluster").join(script);
    let output = Command::new("bash")
        .arg(&script)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(crate::error::io(format!("cannot run {}", script.display())))?;
    if !output.status.success() {
        return Err(Error::Build(format!("{} exited with {}", script.display(), output.status)));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    Ok(PathBuf::from(stdout.lines().last().unwrap_or_default().trim()))
}
