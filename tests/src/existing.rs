//! A fleet Tenantry did not make: the namespaces of `tests/fixtures/existing-fleet`, applied
//! with kubectl as a hosting company's scripts and Helm did, and the tenancy rules that make
//! them tenants.

use std::path::{Path, PathBuf};

use crate::binaries::Binaries;

/// The fixture's folder.
pub fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/existing-fleet")
}

/// The tenancy rules that make the fixture's namespaces tenants (the text of `tenancy.yaml`).
pub fn rules_text() -> String {
    std::fs::read_to_string(folder().join("tenancy.yaml")).expect("the fixture's tenancy rules")
}

/// Applies the fixture to `context` of `kubeconfig` with kubectl: the scripts' namespaces with
/// client-side apply, the Helm release server-side as the field manager `helm`.
pub fn apply(kubeconfig: &Path, context: &str) {
    let kubectl = Binaries::ensure().expect("binaries").path("kubectl");
    for args in [
        vec!["apply".to_owned(), "-f".to_owned(), folder().join("scripts.yaml").display().to_string()],
        vec![
            "apply".to_owned(),
            "--server-side".to_owned(),
            "--field-manager=helm".to_owned(),
            "-f".to_owned(),
            folder().join("helm.yaml").display().to_string(),
        ],
    ] {
        let output = std::process::Command::new(&kubectl)
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .args(["--context", context])
            .args(&args)
            .output()
            .expect("kubectl runs");
        assert!(output.status.success(), "kubectl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    }
}
