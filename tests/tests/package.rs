//! The Debian package on a clean machine: installed with apt-get into a fresh bookworm root (its
//! dependencies resolved from Debian's mirror), the app started from its desktop entry with a
//! desktop's PATH and no KUBECONFIG sees the user's fleet (the installed `tenantry` command,
//! on PATH, reads the cache it wrote), an upgrade keeps the user's data, and removing and
//! purging it leaves none of its files behind.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use tenantry_tests::chroot::Chroot;
use tenantry_tests::fleet::Fleet;

/// A desktop session's PATH: what a menu launcher gives the programs it starts.
const DESKTOP_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Builds the package as `version` with `scripts/package` into `out` (the binaries the test run
/// already built are reused when `TENANTRY_PACKAGE_SKIP_BUILD=1`, as `scripts/test` sets it).
fn package(version: &str, out: &Path) -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/package");
    let built =
        Command::new(script).args(["--version", version, "--out"]).arg(out).output().expect("scripts/package runs");
    assert!(built.status.success(), "scripts/package: {}", String::from_utf8_lossy(&built.stderr));
    PathBuf::from(String::from_utf8_lossy(&built.stdout).trim())
}

/// The `Exec` command of the installed desktop entry.
fn exec_line(root: &Path) -> String {
    let entry = std::fs::read_to_string(root.join("usr/share/applications/tenantry.desktop")).expect("a desktop entry");
    entry.lines().find_map(|line| line.strip_prefix("Exec=")).expect("an Exec line").to_owned()
}

fn text(output: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_package_installs_starts_from_its_menu_entry_upgrades_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fleet = Fleet::start(&dir.path().join("fleet"), &["pkg-1".to_owned()]).await.expect("a cluster starts");
    let admin = fleet.clusters[0].admin_client().await.expect("admin");
    let seeded = tenantry_tests::seed::seed(&admin, 3, 1).await.expect("seeded");
    let first = package("0.1.0", &dir.path().join("dist"));
    let second = package("0.1.1", &dir.path().join("dist"));

    let display = std::env::var("DISPLAY").expect("run under Xvfb (scripts/test does)");
    let chroot = Chroot::new(&dir.path().join("root"), Some(Path::new("/tmp/.X11-unix"))).expect("a clean root");
    let root = chroot.root.clone();
    for deb in [&first, &second] {
        std::fs::copy(deb, root.join("tmp").join(deb.file_name().expect("name"))).expect("copy the package in");
    }
    std::fs::create_dir_all(root.join("root/.kube")).expect("a .kube folder");
    std::fs::copy(&fleet.kubeconfig, root.join("root/.kube/config")).expect("the user's kubeconfig");
    if let Ok(cookie) = std::env::var("XAUTHORITY") {
        std::fs::copy(cookie, root.join("root/.Xauthority")).expect("the X cookie");
    }

    chroot.apt(&["update", "-qq"]).expect("package lists");
    let in_root = |path: &Path| format!("/tmp/{}", path.file_name().expect("name").to_string_lossy());
    chroot
        .apt(&["install", "-y", "-qq", "--no-install-recommends", &in_root(&first)])
        .expect("installed with its dependencies");
    chroot.apt(&["check"]).expect("every dependency resolves");
    let env = [
        ("PATH", DESKTOP_PATH),
        ("HOME", "/root"),
        ("DISPLAY", display.as_str()),
        ("XAUTHORITY", "/root/.Xauthority"),
        ("XDG_RUNTIME_DIR", "/tmp"),
    ];
    let status = chroot.run(&env, "dpkg-query", &["-W", "-f=${Status} ${Version}", "tenantry"]).expect("dpkg-query");
    assert_eq!(text(&status), "install ok installed 0.1.0");

    // Started as the menu starts it: the entry's Exec line, a desktop's PATH, no KUBECONFIG.
    let exec = exec_line(&root);
    let mut app = chroot
        .command(&env, "/bin/sh", &["-c", &format!("exec {exec}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the app starts");
    let ids: Vec<String> = seeded.iter().map(|t| t.id.clone()).collect();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let listed = chroot.run(&env, "tenantry", &["tenants", "--offline", "--json"]).expect("the installed CLI runs");
        let json: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap_or_default();
        let cached: Vec<String> = json["tenants"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["id"].as_str().map(str::to_owned))
            .collect();
        if ids.iter().all(|id| cached.contains(id)) {
            break;
        }
        if let Ok(Some(exit)) = app.try_wait() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(app.stderr.as_mut().expect("stderr"), &mut stderr).ok();
            panic!("the installed app ended ({exit}) before it saw the fleet: {stderr}");
        }
        assert!(Instant::now() < deadline, "the installed app did not see the fleet: {}", text(&listed));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(app.id()).expect("pid")),
        nix::sys::signal::Signal::SIGTERM,
    );
    let _ = app.wait();
    let data = root.join("root/.local/share/tenantry");
    assert!(data.join("cache.sqlite").exists(), "the user's data folder");

    // An upgrade keeps the user's data and settings.
    std::fs::write(root.join("root/.config/tenantry/notifications.json"), r#"{"enabled": false}"#).expect("a setting");
    chroot.apt(&["install", "-y", "-qq", &in_root(&second)]).expect("upgraded");
    let status = chroot.run(&env, "dpkg-query", &["-W", "-f=${Version}", "tenantry"]).expect("dpkg-query");
    assert_eq!(text(&status), "0.1.1");
    let listed = chroot.run(&env, "tenantry", &["tenants", "--offline", "--json"]).expect("the CLI runs");
    assert!(text(&listed).contains(&ids[0]), "the cache survived the upgrade: {}", text(&listed));
    let kept = std::fs::read_to_string(root.join("root/.config/tenantry/notifications.json")).expect("the setting");
    assert!(kept.contains("false"), "the settings survived the upgrade");

    // Removed and purged: none of its files stay; the user's own data is theirs.
    let files = chroot.run(&env, "dpkg-query", &["-L", "tenantry"]).expect("its files");
    let files: Vec<String> = String::from_utf8_lossy(&files.stdout).lines().map(str::to_owned).collect();
    assert!(files.iter().any(|f| f == "/usr/bin/tenantry-app") && files.iter().any(|f| f == "/usr/bin/tenantry"));
    chroot.apt(&["purge", "-y", "-qq", "tenantry"]).expect("purged");
    let left: Vec<&String> = files
        .iter()
        .filter(|f| f.starts_with("/usr/bin/") || f.ends_with(".desktop") || f.ends_with(".png"))
        .filter(|f| root.join(f.trim_start_matches('/')).exists())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    let gone = chroot.run(&env, "dpkg-query", &["-W", "-f=${Status}", "tenantry"]).expect("dpkg-query");
    assert!(!text(&gone).contains("installed"), "{}", text(&gone));
    assert!(data.join("cache.sqlite").exists(), "the user's data is left to them");
}
