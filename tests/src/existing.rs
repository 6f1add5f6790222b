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
    kubectl_apply(kubeconfig, context, &["-f", &file("scripts.yaml")]);
    kubectl_apply(kubeconfig, context, &["--server-side", "--field-manager=helm", "-f", &file("helm.yaml")]);
}

/// The Go module Capsule's CRDs are published in, at the version the tests install.
const CAPSULE_MODULE: &str = "github.com/clastix/capsule@v0.3.1";

/// Installs Capsule's `Tenant` CRD (from its published Go module, through the Go module proxy)
/// into `context` and creates the Capsule `Tenant` of the fixture's `acme-prod`.
pub fn install_capsule(kubeconfig: &Path, context: &str) {
    let download = std::process::Command::new("go")
        .args(["mod", "download", "-json", CAPSULE_MODULE])
        .env("GOFLAGS", "-mod=mod")
        .output()
        .expect("go runs (scripts/env.sh puts it on PATH)");
    let module: serde_json::Value = serde_json::from_slice(&download.stdout).expect("go prints the module as JSON");
    let dir = module["Dir"].as_str().unwrap_or_else(|| panic!("{CAPSULE_MODULE} is not served: {module}"));
    let crd = Path::new(dir).join("config/crd/bases/capsule.clastix.io_tenants.yaml");
    // The CRD is larger than the annotation client-side apply would keep a copy in.
    kubectl_apply(kubeconfig, context, &["--server-side", "-f", &crd.display().to_string()]);
    // `kubectl wait` fails at once while the CRD has no conditions yet: ask until it says so.
    let kubectl = Binaries::ensure().expect("binaries").path("kubectl");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let established = std::process::Command::new(&kubectl)
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .args(["--context", context, "get", "crd", "tenants.capsule.clastix.io"])
            .args(["-o", "jsonpath={.status.conditions[?(@.type==\"Established\")].status}"])
            .output()
            .expect("kubectl runs");
        if String::from_utf8_lossy(&established.stdout) == "True" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "Capsule's Tenant CRD is not established within 30 s");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // The API server's discovery may not list the new kind for a moment yet.
    let tenant = file("capsule-tenant.yaml");
    let mut tries = 0;
    while let Err(problem) = try_kubectl_apply(kubeconfig, context, &["-f", &tenant]) {
        tries += 1;
        assert!(tries < 50, "the Capsule Tenant cannot be created: {problem}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// Applies `shop-grove`, a namespace in the shape of the built-in `web` blueprint, as kubectl.
pub fn apply_web_shaped(kubeconfig: &Path, context: &str) {
    kubectl_apply(kubeconfig, context, &["-f", &file("web-shaped.yaml")]);
}

fn file(name: &str) -> String {
    folder().join(name).display().to_string()
}

/// `kubectl apply` with `options`, as `context` of `kubeconfig`.
fn kubectl_apply(kubeconfig: &Path, context: &str, options: &[&str]) {
    if let Err(problem) = try_kubectl_apply(kubeconfig, context, options) {
        panic!("kubectl apply {options:?}: {problem}");
    }
}

/// `kubectl apply` with `options`; what kubectl printed on failure.
fn try_kubectl_apply(kubeconfig: &Path, context: &str, options: &[&str]) -> Result<(), String> {
    let kubectl = Binaries::ensure().expect("binaries").path("kubectl");
    let output = std::process::Command::new(&kubectl)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["--context", context, "apply"])
        .args(options)
        .output()
        .expect("kubectl runs");
    if output.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&output.stderr).into_owned()) }
}
