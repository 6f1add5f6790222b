//! End to end in the real window: the release app binary (custom-protocol build) under Xvfb,
//! driven through tauri-driver and WebKitWebDriver. Searches the fleet, opens a tenant with the
//! keyboard, reads the cluster rows, adds and removes a cluster by token, creates a tenant from the New tenant dialog and scales it
//! from its own (preview, progress bar, toast, audit log), reads its logs, drift and timeline
//! and writes its escalation bundle, restarts with every cluster down to see the cached fleet,
//! edits the tenancy rules with their live count and opens a tenant made with kubectl, then over a cache of ten thousand tenants, then with a damaged kubeconfig and cache, and saves
//! screenshots to `artifacts/screenshots/`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use tenantry_core::cache::{Cache, SeenTenant, Write};
use tenantry_tests::cluster::client_for;
use tenantry_tests::existing;
use tenantry_tests::fleet::Fleet;
use tenantry_tests::seed;
use tenantry_tests::window::{self, Driver, free_port};

/// The app binary `scripts/test` builds before the tests run.
fn app_binary() -> PathBuf {
    window::app_binary(env!("CARGO_TARGET_TMPDIR"))
}

fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

/// Waits until every cluster row has left the "probing" state; returns (context, state, text).
async fn settled_rows(client: &Client, expected: usize) -> Vec<(String, String, String)> {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let mut rows = Vec::new();
        // The list re-renders while it reloads (a cluster added or removed): a query that meets
        // a replaced row is simply asked again.
        let found = client.find_all(Locator::Css("tr.cluster-row")).await.unwrap_or_default();
        for row in found {
            let context = row.attr("data-context").await.ok().flatten().unwrap_or_default();
            let state = row.attr("data-state").await.ok().flatten().unwrap_or_default();
            let text = row.text().await.unwrap_or_default();
            rows.push((context, state, text));
        }
        if rows.len() == expected && rows.iter().all(|(_, state, _)| state != "probing") {
            return rows;
        }
        assert!(Instant::now() < deadline, "rows did not settle: {rows:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The identity the Clusters view shows for `context` (its full text, on hover), asked again
/// while the list reloads: adding a cluster edits the cluster list, whose change the app notices
/// within 2 s and re-probes every row, so the cell can be gone for a moment after rows settled.
async fn settled_identity(client: &Client, context: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    let cell = format!("tr.cluster-row[data-context='{context}'] .identity");
    loop {
        if let Ok(found) = client.find(Locator::Css(&cell)).await
            && let Ok(Some(identity)) = found.attr("title").await
        {
            return identity;
        }
        assert!(Instant::now() < deadline, "no identity shown for {context}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// WebKit paints asynchronously and a WebDriver screenshot shows the last painted frame: wait
/// for two animation frames and a moment before taking one, so it shows what the DOM holds.
async fn save_screenshot(client: &Client, name: &str) {
    let two_frames = "const done = arguments[arguments.length - 1]; \
                      requestAnimationFrame(() => requestAnimationFrame(() => done(true)));";
    client.execute_async(two_frames, Vec::new()).await.expect("the page paints");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let png = client.screenshot().await.expect("screenshot taken");
    assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");
    let path = screenshot_dir().join(name);
    std::fs::write(&path, png).expect("screenshot saved");
    eprintln!("screenshot: {}", path.display());
}

/// The longest the whole scenario may take: a hung WebDriver call fails the test, not CI.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(480);

#[tokio::test(flavor = "multi_thread")]
async fn the_window_lists_clusters_live_and_explains_problems() {
    tokio::time::timeout(SCENARIO_TIMEOUT, scenario()).await.expect("the window scenario finished in time");
}

async fn scenario() {
    let dir = tempfile::tempdir().expect("temp dir");
    let names = ["eu-west".to_owned(), "us-east".to_owned()];
    let mut fleet = Fleet::start(&dir.path().join("fleet"), &names).await.expect("two local clusters start");
    let down = dir.path().join("down.yaml");
    let ca = base64_of(&fleet.clusters[0].ca_pem);
    std::fs::write(&down, format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: ap-south\n  cluster:\n    server: https://127.0.0.1:{}\n    certificate-authority-data: {ca}\n\
         users:\n- name: ap-south-admin\n  user:\n    token: not-used\ncontexts:\n- name: ap-south\n  context:\n    cluster: ap-south\n    user: ap-south-admin\n",
        free_port()
    ))
    .expect("write the unreachable cluster's kubeconfig");
    let sso = sso_kubeconfig(dir.path(), &fleet);
    let kubeconfig = format!("{}:{}:{}", fleet.kubeconfig.display(), down.display(), sso.display());
    for (cluster, count) in [("eu-west", 6), ("us-east", 3)] {
        let admin = client_for(&fleet.kubeconfig, Some(cluster)).await.expect("admin client");
        seed::seed(&admin, count, 1).await.expect("tenants seeded");
    }

    let driver =
        Driver::start(&kubeconfig, &dir.path().join("data"), dir.path(), &[]).await.expect("tauri-driver starts");
    let client = driver.open_app(&app_binary()).await.expect("a WebDriver session opens the app");
    fleet_view_filters_by_cluster_and_domain(&client).await;
    the_web_process_paints_on_the_cpu(&dir.path().join("data"));
    client.find(Locator::Id("tab-clusters")).await.expect("clusters tab").click().await.expect("switch view");
    let rows = settled_rows(&client, 6).await;
    let states: Vec<(&str, &str)> = rows.iter().map(|(c, s, _)| (c.as_str(), s.as_str())).collect();
    assert_eq!(
        states,
        vec![
            ("ap-south", "unreachable"),
            ("eu-west", "reachable"),
            ("eu-west-helpdesk", "reachable"),
            ("sso", "unauthorized"),
            ("us-east", "reachable"),
            ("us-east-helpdesk", "reachable"),
        ]
    );
    for (context, state, text) in &rows {
        if state == "reachable" {
            assert!(text.contains("v1.33.13"), "{context} shows its Kubernetes version: {text}");
        }
    }
    let problem =
        client.find(Locator::Css("tr.problem-row .problem")).await.expect("the unreachable row explains itself");
    assert!(problem.text().await.unwrap_or_default().contains("cannot be reached"));
    save_screenshot(&client, "clusters.png").await;
    sign_in_and_choose_on_the_credentials_board(&client, &dir.path().join("data")).await;
    an_edited_kubeconfig_is_picked_up(&client, &down).await;
    notification_settings_in_the_window(&client, &dir.path().join("data")).await;
    cluster_groups_in_the_window(&client, &dir.path().join("data")).await;
    add_and_remove_a_cluster_by_token(&client, &fleet, &dir.path().join("data")).await;
    // Left on the Clusters view, moved and resized: the next start opens it the same way.
    client.set_window_rect(60, 40, 1180, 740).await.expect("move and resize the window");
    let remembered = dir.path().join("data/config/window.json");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&remembered).is_ok_and(|s| s.contains("1180") && s.contains("\"clusters\"")) {
        assert!(Instant::now() < deadline, "the window's size and view are remembered as they change");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    client.close().await.expect("session closes");
    drop(driver);

    let actions_data = dir.path().join("actions-data");
    let driver = Driver::start(&kubeconfig, &actions_data, dir.path(), &[]).await.expect("tauri-driver starts");
    let client = driver.open_app(&app_binary()).await.expect("a WebDriver session opens the app");
    create_in_the_window(&client, "maple-shop").await;
    scale_in_the_window(&client, &fleet.kubeconfig, "eu-west", "maple-shop").await;
    diagnose_in_the_window(&client, &fleet, "eu-west", "maple-shop", &actions_data).await;
    stopping_the_app_leaves_no_write_ahead_log(client, &actions_data).await;
    drop(driver);

    let rollout_data = dir.path().join("rollout-data");
    let converge = [("TENANTRY_CONVERGE_SECONDS", Path::new("6"))];
    let driver = Driver::start(&kubeconfig, &rollout_data, dir.path(), &converge).await.expect("tauri-driver starts");
    let client = driver.open_app(&app_binary()).await.expect("a WebDriver session opens the app");
    rollout_in_the_window(&client, &fleet, &rollout_data).await;
    a_second_launch_shows_the_first_window(&kubeconfig, &rollout_data, &dir.path().join("second-data")).await;
    client.close().await.expect("session closes");
    drop(driver);

    existing::apply(&fleet.kubeconfig, "us-east");
    let driver = Driver::start(&kubeconfig, &dir.path().join("existing-data"), dir.path(), &[])
        .await
        .expect("tauri-driver starts");
    let client = driver.open_app(&app_binary()).await.expect("a WebDriver session opens the app");
    tenancy_rules_find_the_existing_fleet(&client).await;
    a_foreign_tenant_shows_its_workloads(&client).await;
    client.close().await.expect("session closes");
    drop(driver);

    for cluster in &mut fleet.clusters {
        cluster.stop_apiserver();
    }
    let driver =
        Driver::start(&kubeconfig, &dir.path().join("data"), dir.path(), &[]).await.expect("tauri-driver starts");
    let client = driver.open_app(&app_binary()).await.expect("a WebDriver session opens the app");
    the_window_opens_as_it_was_left(&client).await;
    cached_fleet_is_shown_offline(&client).await;
    client.close().await.expect("session closes");
    drop(driver);

    let big_data = dir.path().join("big-data");
    ten_thousand_cached_tenants(&dir.path().join("data/cache.sqlite"), &big_data).await;
    let driver = Driver::start(&kubeconfig, &big_data, dir.path(), &[]).await.expect("tauri-driver starts");
    let client = driver.open_app(&app_binary()).await.expect("a WebDriver session opens the app");
    ten_thousand_rows_scroll(&client).await;
    client.close().await.expect("session closes");
    drop(driver);

    let damaged_data = dir.path().join("damaged-data");
    std::fs::create_dir_all(&damaged_data).expect("data folder");
    std::fs::write(damaged_data.join("cache.sqlite"), vec![0x5a_u8; 8192]).expect("a corrupted cache");
    let damaged = dir.path().join("damaged.yaml");
    std::fs::write(&damaged, "clusters: [unclosed").expect("write the damaged kubeconfig");
    let driver = Driver::start(&damaged.display().to_string(), &damaged_data, dir.path(), &[])
        .await
        .expect("tauri-driver starts");
    let client = driver.open_app(&app_binary()).await.expect("a WebDriver session opens the app");
    client.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css(".notice strong")).await.expect("a notice");
    client.find(Locator::Id("tab-clusters")).await.expect("clusters tab").click().await.expect("switch view");
    let notice = client.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css(".notice strong")).await;
    let text = notice.expect("a damaged kubeconfig shows a notice").text().await.unwrap_or_default();
    assert!(text.contains("The kubeconfig file is damaged"), "{text}");
    save_screenshot(&client, "damaged-kubeconfig.png").await;
    client.find(Locator::Id("tab-tenants")).await.expect("tenants tab").click().await.expect("switch view");
    let notice = client.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css(".notice strong")).await;
    let text = notice.expect("the rebuilt cache is reported").text().await.unwrap_or_default();
    assert!(text.contains("cache was damaged, so it was rebuilt"), "{text}");
    client.close().await.expect("session closes");
}

/// Asks the app to stop as a desktop session does (SIGTERM); it writes what it queued and closes
/// its cache files, so neither leaves a write-ahead log behind.
async fn stopping_the_app_leaves_no_write_ahead_log(client: Client, data_dir: &Path) {
    let logs = ["cache.sqlite-wal", "records.sqlite-wal"];
    assert!(logs.iter().any(|log| data_dir.join(log).exists()), "the running app writes ahead");
    let app = app_process(data_dir).expect("the app's process");
    let stopped = std::process::Command::new("kill").args(["-TERM", &app.to_string()]).status().expect("kill runs");
    assert!(stopped.success(), "SIGTERM sent to {app}");
    let deadline = Instant::now() + Duration::from_secs(15);
    while let Some(left) = logs.iter().find(|log| data_dir.join(log).exists()) {
        if Instant::now() > deadline {
            let log: String = std::fs::read_dir(data_dir.join("logs"))
                .into_iter()
                .flatten()
                .flatten()
                .map(|entry| std::fs::read_to_string(entry.path()).unwrap_or_default())
                .collect();
            let tail: Vec<&str> = log.lines().rev().take(5).collect();
            panic!("the app left {left} behind when its window closed; its log ends with {tail:#?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = client.close().await;
}

/// The process id of the app whose data folder is `data_dir` (tauri-driver starts it).
fn app_process(data_dir: &Path) -> Option<u32> {
    let wanted = format!("TENANTRY_DATA_DIR={}", data_dir.display());
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
        let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
        let command = std::fs::read(entry.path().join("cmdline")).ok()?;
        let environment = std::fs::read(entry.path().join("environ")).ok()?;
        let is_app = command.split(|b| *b == 0).next().is_some_and(|exe| exe.ends_with(b"tenantry-app"));
        let is_ours = environment.split(|b| *b == 0).any(|var| var == wanted.as_bytes());
        (is_app && is_ours).then_some(pid)
    })
}

/// The app asks WebKit to paint on the CPU: its web process (a child of the app, or a grandchild
/// through a sandbox) starts with WebKit's switch for it set.
fn the_web_process_paints_on_the_cpu(data_dir: &Path) {
    let app = app_process(data_dir).expect("the app's process");
    let web_processes = window::web_processes_of(app);
    assert!(!web_processes.is_empty(), "the app {app} has a web process");
    for pid in web_processes {
        let environment = std::fs::read(format!("/proc/{pid}/environ")).expect("the web process's environment");
        assert!(
            environment.split(|b| *b == 0).any(|var| var == b"WEBKIT_SKIA_ENABLE_CPU_RENDERING=1"),
            "web process {pid} paints on the CPU"
        );
    }
}

/// The WebDriver code of the Escape key.
const ESCAPE: &str = "\u{E00C}";
/// The WebDriver code of the Enter key.
const ENTER: &str = "\u{E007}";
/// The WebDriver code of the arrow-down key.
const ARROW_DOWN: &str = "\u{E015}";

/// Every cluster's API server is down: the restarted app shows the whole cached fleet, each row
/// marked cached, under the offline banner, and what changed since the window was last open.
/// The window opens with the size, place and view it was closed with; then back to Tenants.
async fn the_window_opens_as_it_was_left(client: &Client) {
    let clusters_tab = client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#tab-clusters.active"))
        .await
        .expect("the window opens on the Clusters view it was closed on");
    assert_eq!(clusters_tab.attr("aria-pressed").await.ok().flatten().as_deref(), Some("true"));
    let (x, y, width, height) = client.get_window_rect().await.expect("the window's place and size");
    let near = |got: u64, want: u64| got.abs_diff(want) <= 2;
    assert!(
        near(x, 60) && near(y, 40) && near(width, 1180) && near(height, 740),
        "the window's place and size as left: {x},{y} {width}×{height}"
    );
    client.find(Locator::Id("tab-tenants")).await.expect("tenants tab").click().await.expect("switch view");
}

async fn cached_fleet_is_shown_offline(client: &Client) {
    let rows = tenant_rows_until(client, "the nine cached tenants", |rows| rows.len() == 9).await;
    assert_eq!(rows.len(), 9);
    for row in client.find_all(Locator::Css("tr.tenant-row")).await.expect("rows") {
        assert_eq!(row.attr("data-freshness").await.ok().flatten().as_deref(), Some("cached"));
    }
    let banner = client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("offline-banner")).await;
    let text = banner.expect("the offline banner").text().await.unwrap_or_default();
    assert!(text.contains("Offline — cached state as of"), "{text}");
    let unreachable = client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(".nav-item[data-cluster='eu-west'][data-state='unreachable'] .nav-detail"))
        .await;
    let note = unreachable.expect("eu-west unreachable in the sidebar").text().await.unwrap_or_default();
    assert!(note.starts_with("unreachable · last live "), "{note}");
    // The window remembered the fleet when it was last open here: the panel compares with it.
    let since = client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(".since, .since-none")).await;
    let since = since.expect("since you last looked").text().await.unwrap_or_default();
    assert!(since.contains("ince you last looked"), "{since}");
    save_screenshot(client, "offline.png").await;
}

/// The WebDriver code of the Tab key.
const TAB: &str = "\u{E004}";

/// Creates tenant `id` from the New tenant dialog on the first live cluster: the dry run lists
/// the objects to create, and the outcome says it runs.
async fn create_in_the_window(client: &Client, id: &str) {
    let button = client.wait().at_most(Duration::from_secs(40)).for_element(Locator::Id("new-tenant")).await;
    let button = button.expect("a New tenant button");
    let deadline = Instant::now() + Duration::from_secs(40);
    while !button.is_enabled().await.unwrap_or(false) {
        assert!(Instant::now() < deadline, "New tenant stays disabled (no live cluster)");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    button.click().await.expect("open the New tenant dialog");
    let fields = [
        ("create-id", id),
        ("create-name", "Maple Shop site"),
        ("create-customer", "Maple Shop"),
        ("create-domains", "maple-shop.example.com"),
        ("create-version", "6.5.1"),
    ];
    for (field, value) in fields {
        let input = client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id(field)).await;
        let input = input.unwrap_or_else(|_| panic!("the field {field}"));
        input.send_keys(value).await.expect("type");
        input.send_keys(TAB).await.expect("leave the field");
    }
    client.find(Locator::Id("action-preview-button")).await.expect("Preview").click().await.expect("preview");
    let preview = client.wait().at_most(Duration::from_secs(30)).for_element(Locator::Id("action-preview")).await;
    let preview = preview.expect("the dry run").text().await.unwrap_or_default();
    assert!(preview.contains("Deployment app") && preview.contains("Ingress app"), "{preview}");
    save_screenshot(client, "create-preview.png").await;
    client.find(Locator::Id("action-apply")).await.expect("Create").click().await.expect("create");
    let outcome = client.wait().at_most(Duration::from_secs(120)).for_element(Locator::Id("action-outcome")).await;
    let outcome = outcome.expect("the outcome").text().await.unwrap_or_default();
    assert_eq!(outcome, format!("Created {id} on eu-west (revision 1); it is running."));
    client.find(Locator::Css(".modal-foot .secondary")).await.expect("Close").click().await.expect("close");
}

/// The added cluster of the window test.
const ADDED: &str = "partner-us";

/// Adds us-east's API server once more, as a cluster reached by the help-desk token: a wrong
/// token is refused in the dialog, the right one adds a reachable row tagged "added" with the
/// token in the keyring (not in the list file); removing it takes the token out of the keyring.
/// A kubeconfig with context `sso` on the first cluster's server, whose credential plugin needs a
/// person (`interactiveMode: Always`): it writes a device code for them, then issues the token.
fn sso_kubeconfig(dir: &Path, fleet: &Fleet) -> PathBuf {
    let plugin = dir.join("sso-login");
    let token = &fleet.clusters[0].admin_token;
    tenantry_tests::script::write_script(
        &plugin,
        &format!(
            "echo 'Open https://sso.example.com/device and enter the code QX7-PL2' >&2
sleep 1
             echo '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{token}\"}}}}'
"
        ),
    )
    .expect("write the plugin");
    let path = dir.join("sso.yaml");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: sso-cluster\n  cluster:\n    server: {server}\n    certificate-authority-data: {ca}\n\
             users:\n- name: sso-user\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {plugin}\n      interactiveMode: Always\n\
             contexts:\n- name: sso\n  context:\n    cluster: sso-cluster\n    user: sso-user\n",
            server = fleet.clusters[0].server,
            ca = base64_of(&fleet.clusters[0].ca_pem),
            plugin = plugin.display(),
        ),
    )
    .expect("write the sso kubeconfig");
    path
}

/// The Clusters view as a credentials board: the `sso` context waits for a person; Sign in runs
/// its plugin, shows the device code it writes, and the cluster answers afterwards. A cluster
/// turned off is remembered in the config folder and turned on again; the search narrows the rows.
async fn sign_in_and_choose_on_the_credentials_board(client: &Client, data_dir: &Path) {
    let credential =
        text_contains(client, "tr.cluster-row[data-context='sso'] .credential", "sign in needed", 10).await;
    assert!(credential.contains("exec plugin"), "{credential}");
    let through = text_contains(client, "tr.cluster-row[data-context='sso'] .context", "eu-west", 5).await;
    assert!(through.contains("server watched through eu-west"), "{through}");
    client
        .find(Locator::Css("tr.cluster-row[data-context='sso'] .sign-in"))
        .await
        .expect("Sign in…")
        .click()
        .await
        .expect("open");
    text_contains(client, "#sign-in-lines", "QX7-PL2", 15).await;
    save_screenshot(client, "sign-in.png").await;
    text_contains(client, "#sign-in-state", "Signed in", 20).await;
    client.find(Locator::Id("sign-in-close")).await.expect("Close").click().await.expect("close");
    wait_row_attr(client, "sso", "data-state", "reachable").await;

    let toggle = "tr.cluster-row[data-context='us-east'] .switch .slider";
    client.find(Locator::Css(toggle)).await.expect("the watch toggle").click().await.expect("turn off");
    wait_row_attr(client, "us-east", "data-watched", "false").await;
    let remembered = std::fs::read_to_string(data_dir.join("config/watched-clusters.json")).expect("the choice file");
    assert!(remembered.contains("us-east"), "{remembered}");
    // In the fleet, a cluster turned off reads "not watched", not "unreachable".
    client.find(Locator::Id("tab-tenants")).await.expect("tenants tab").click().await.expect("switch view");
    let off = ".nav-item[data-cluster='us-east'][data-state='not-watched'] .nav-detail";
    let off = client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(off)).await;
    let note = off.expect("us-east not watched in the sidebar").text().await.unwrap_or_default();
    assert!(note.starts_with("not watched · last live "), "{note}");
    client.find(Locator::Id("tab-clusters")).await.expect("clusters tab").click().await.expect("back");
    fill(client, "cluster-search", "helpdesk").await;
    let shown = client.find_all(Locator::Css("tr.cluster-row")).await.expect("rows").len();
    assert_eq!(shown, 2, "the search keeps the help-desk contexts");
    let search = client.find(Locator::Id("cluster-search")).await.expect("the search field");
    search.send_keys(&"\u{E003}".repeat("helpdesk".len())).await.expect("erase the search");
    settled_rows(client, 6).await;
    save_screenshot(client, "credentials-board.png").await;
    client.find(Locator::Css(toggle)).await.expect("the watch toggle").click().await.expect("turn on");
    wait_row_attr(client, "us-east", "data-watched", "true").await;
}

/// A context added to a kubeconfig file while the app runs appears in the Clusters view, probed,
/// without a refresh; taken out again, it goes.
async fn an_edited_kubeconfig_is_picked_up(client: &Client, file: &Path) {
    let original = std::fs::read_to_string(file).expect("the kubeconfig file");
    let edited = original.replace(
        "contexts:\n",
        "contexts:\n- name: ap-north\n  context:\n    cluster: ap-south\n    user: ap-south-admin\n",
    );
    assert_ne!(edited, original);
    std::fs::write(file, edited).expect("add a context");
    let rows = settled_rows(client, 7).await;
    assert!(rows.iter().any(|(context, state, _)| context == "ap-north" && state == "unreachable"), "{rows:?}");
    std::fs::write(file, original).expect("take it out again");
    settled_rows(client, 6).await;
}

/// The notification settings: a watched cluster muted in the dialog is saved to the config folder.
async fn notification_settings_in_the_window(client: &Client, data_dir: &Path) {
    client.find(Locator::Id("open-notifications")).await.expect("Notifications…").click().await.expect("open");
    let muted = "input.notify-cluster[data-cluster='ap-south']";
    let checkbox = client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(muted)).await;
    checkbox.expect("a checkbox per watched cluster").click().await.expect("mute ap-south");
    save_screenshot(client, "notification-settings.png").await;
    client.find(Locator::Id("notify-save")).await.expect("Save").click().await.expect("save");
    let saved = wait_file_contains(&data_dir.join("config/notifications.json"), "ap-south").await;
    assert!(saved.contains("muted_clusters"), "{saved}");
    assert!(client.find(Locator::Id("notifications-dialog")).await.is_err(), "the dialog closed");
}

/// A group named from a search, shown alone, unwatched and watched as a whole, and filtering the
/// fleet's tenants to its clusters.
async fn cluster_groups_in_the_window(client: &Client, data_dir: &Path) {
    fill(client, "cluster-search", "eu-west").await;
    fill(client, "group-name", "prod-eu").await;
    client.find(Locator::Id("group-save")).await.expect("Save as group").click().await.expect("save");
    wait_file_contains(&data_dir.join("config/cluster-groups.json"), "prod-eu").await;
    let search = client.find(Locator::Id("cluster-search")).await.expect("the search field");
    search.send_keys(&"\u{E003}".repeat("eu-west".len())).await.expect("erase the search");
    let chip = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(".group-chip.active[data-group='prod-eu']"))
        .await;
    chip.expect("the new group is shown");
    settled_rows(client, 2).await;
    client.find(Locator::Id("unwatch-group")).await.expect("Unwatch group").click().await.expect("unwatch");
    wait_row_attr(client, "eu-west", "data-watched", "false").await;
    client.find(Locator::Id("watch-group")).await.expect("Watch group").click().await.expect("watch");
    wait_row_attr(client, "eu-west", "data-watched", "true").await;
    let helpdesk = client.find(Locator::Css("tr.cluster-row[data-context='eu-west-helpdesk']")).await.expect("row");
    assert_eq!(helpdesk.attr("data-watched").await.ok().flatten().as_deref(), Some("false"), "one identity per server");
    save_screenshot(client, "cluster-groups.png").await;

    client.find(Locator::Id("tab-tenants")).await.expect("tenants tab").click().await.expect("switch view");
    let filter = client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("group-filter")).await;
    filter.expect("a group filter").select_by_value("prod-eu").await.expect("filter by the group");
    let rows = tenant_rows_until(client, "only the group's tenants", |rows| {
        !rows.is_empty() && rows.iter().all(|(c, _)| c == "eu-west")
    })
    .await;
    assert_eq!(rows.len(), 6, "{rows:?}");
    client.find(Locator::Id("group-filter")).await.expect("the filter").select_by_value("").await.expect("all groups");
    client.find(Locator::Id("tab-clusters")).await.expect("clusters tab").click().await.expect("back");
    settled_rows(client, 6).await;
}

/// Waits until the file at `path` holds `part`; returns its text.
async fn wait_file_contains(path: &Path, part: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(part) {
            return text;
        }
        assert!(Instant::now() < deadline, "{} does not hold {part}: {text}", path.display());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until cluster row `context` has `attribute` = `value`.
async fn wait_row_attr(client: &Client, context: &str, attribute: &str, value: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let css = format!("tr.cluster-row[data-context='{context}']");
    loop {
        let now = match client.find(Locator::Css(&css)).await {
            Ok(row) => row.attr(attribute).await.ok().flatten(),
            Err(_) => None,
        };
        if now.as_deref() == Some(value) {
            return;
        }
        assert!(Instant::now() < deadline, "{context}: {attribute} stayed {now:?}, not {value}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn add_and_remove_a_cluster_by_token(client: &Client, fleet: &Fleet, data_dir: &Path) {
    client.find(Locator::Id("add-cluster")).await.expect("an Add cluster button").click().await.expect("open");
    let pem = String::from_utf8_lossy(&fleet.clusters[1].ca_pem).into_owned();
    for (field, value) in [
        ("add-cluster-name", ADDED),
        ("add-cluster-server", fleet.clusters[1].server.as_str()),
        ("add-cluster-ca", &pem),
    ] {
        let input = client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id(field)).await;
        input.unwrap_or_else(|_| panic!("the field {field}")).send_keys(value).await.expect("type");
    }
    let token = client.find(Locator::Id("add-cluster-token")).await.expect("the token field");
    token.send_keys("wrong-token").await.expect("type");
    client.find(Locator::Id("add-cluster-submit")).await.expect("Add").click().await.expect("add");
    let refused = client.wait().at_most(Duration::from_secs(20)).for_element(Locator::Id("add-cluster-error")).await;
    let refused = refused.expect("the refusal").text().await.unwrap_or_default();
    assert!(refused.contains("The cluster rejected this token"), "{refused}");
    token.clear().await.expect("clear the token");
    token.send_keys(&fleet.helpdesk_tokens[1]).await.expect("type the token");
    save_screenshot(client, "add-cluster.png").await;
    client.find(Locator::Id("add-cluster-submit")).await.expect("Add").click().await.expect("add");
    let rows = settled_rows(client, 7).await;
    save_screenshot(client, "clusters-added.png").await;
    let added = rows.iter().find(|(context, _, _)| context == ADDED).expect("the added cluster is listed");
    assert_eq!(added.1, "reachable", "{added:?}");
    assert!(added.2.contains("added"), "{added:?}");
    let identity = settled_identity(client, ADDED).await;
    assert_eq!(identity, "system:serviceaccount:tenantry-system:tenantry-helpdesk");
    assert!(client.find(Locator::Id("add-cluster-dialog")).await.is_err(), "the dialog closed");
    let listed = std::fs::read_to_string(data_dir.join("config/clusters.yaml")).expect("the list file");
    assert!(listed.contains(ADDED) && !listed.contains(&fleet.helpdesk_tokens[1]), "{listed}");
    assert!(tenantry_core::secrets::Keyring::system().token(ADDED).is_ok(), "the token is in the keyring");

    // The toasts of what was just done sit over the table's corner: closed, as a user would.
    for close in client.find_all(Locator::Css(".toast-close")).await.unwrap_or_default() {
        let _ = close.click().await;
    }
    let remove = format!("tr.cluster-row[data-context='{ADDED}'] .row-actions button.remove");
    client.find(Locator::Css(&remove)).await.expect("Remove…").click().await.expect("ask");
    client.find(Locator::Css(".confirm-remove .danger")).await.expect("Remove").click().await.expect("remove");
    settled_rows(client, 6).await;
    assert!(tenantry_core::secrets::Keyring::system().token(ADDED).is_err(), "the token left the keyring");
}

/// Opens tenant `id`, which someone scaled to 2 pods with kubectl, and scales it to 3 pods from
/// its Scale dialog with a reason: the preview shows the field that changes and who changed it
/// outside Tenantry; once Helm owns the size the dry run is a conflict until the user takes it
/// over; the progress bar fills as the pods become ready, the outcome and a toast say so, the
/// cluster runs 3 pods, and the audit log view lists the action with its reason.
async fn scale_in_the_window(client: &Client, kubeconfig: &Path, context: &str, id: &str) {
    tenant_rows_until(client, "the created tenant is listed", |rows| rows.iter().any(|(_, t)| t == id)).await;
    open_tenant(client, id).await;
    let scale = client.wait().at_most(Duration::from_secs(30)).for_element(Locator::Id("action-scale")).await;
    let scale = scale.expect("a Scale button");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !scale.is_enabled().await.unwrap_or(false) {
        assert!(Instant::now() < deadline, "Scale stays disabled: {:?}", scale.attr("title").await.ok().flatten());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let delete = client.find(Locator::Id("action-delete")).await.expect("a Delete button");
    assert!(delete.is_enabled().await.unwrap_or(false), "the admin may delete");
    let admin = client_for(kubeconfig, Some(context)).await.expect("admin client");
    let deployments = kube::Api::<k8s_openapi::api::apps::v1::Deployment>::namespaced(admin, id);
    let by_kubectl = kube::api::PatchParams { field_manager: Some("kubectl".into()), ..Default::default() };
    let two = kube::api::Patch::Merge(serde_json::json!({"spec": {"replicas": 2}}));
    deployments.patch_scale("app", &by_kubectl, &two).await.expect("scaled with kubectl");
    scale.click().await.expect("open the Scale dialog");
    let replicas = client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("action-replicas")).await;
    let replicas = replicas.expect("the pods field");
    // Each field is typed again if a re-render (the tenant's row updating live, the other
    // field's change) swallowed keys.
    let reason = client.find(Locator::Id("action-reason")).await.expect("the reason field");
    for _ in 0..3 {
        for (field, text) in [(&replicas, "3"), (&reason, "TICKET-7")] {
            if field.prop("value").await.ok().flatten().as_deref() != Some(text) {
                field.clear().await.expect("clear the field");
                field.send_keys(text).await.expect("type");
                field.send_keys(TAB).await.expect("leave the field");
            }
        }
        let typed = [(&replicas, "3"), (&reason, "TICKET-7")];
        let mut all = true;
        for (field, text) in typed {
            all &= field.prop("value").await.ok().flatten().as_deref() == Some(text);
        }
        if all {
            break;
        }
    }
    client.find(Locator::Id("action-preview-button")).await.expect("Preview").click().await.expect("preview");
    let preview = client.wait().at_most(Duration::from_secs(30)).for_element(Locator::Id("action-preview")).await;
    let preview = match preview {
        Ok(preview) => preview.text().await.unwrap_or_default(),
        Err(error) => {
            let dialog = client.find(Locator::Css(".modal")).await.ok();
            let shown = match dialog {
                Some(dialog) => dialog.text().await.unwrap_or_default(),
                None => "no dialog".into(),
            };
            panic!("no dry run within 30 s ({error}); the dialog shows: {shown}");
        }
    };
    assert!(preview.contains("spec.replicas: 2 → 3"), "{preview}");
    assert!(preview.contains(".spec.replicas changed by kubectl at"), "{preview}");
    assert!(preview.contains("revision 1 → 2"), "{preview}");
    save_screenshot(client, "action-preview.png").await;

    // Helm takes the size over: the dry run is refused as a conflict until the user takes over.
    let by_helm = serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app"}, "spec": {"replicas": 2}});
    let helm = kube::api::PatchParams::apply("helm").force();
    deployments.patch("app", &helm, &kube::api::Patch::Apply(&by_helm)).await.expect("Helm owns the size");
    client.find(Locator::Id("action-preview-button")).await.expect("Preview").click().await.expect("preview again");
    let take_over = client.wait().at_most(Duration::from_secs(30)).for_element(Locator::Id("action-take-over")).await;
    let take_over = take_over.expect("a conflict offers to take over");
    let refused = client.find(Locator::Id("action-dialog")).await.expect("dialog").text().await.unwrap_or_default();
    assert!(refused.contains("\"helm\""), "the conflict names Helm: {refused}");
    save_screenshot(client, "action-conflict.png").await;
    take_over.click().await.expect("take over");
    let preview = client.wait().at_most(Duration::from_secs(30)).for_element(Locator::Id("action-preview")).await;
    let preview = preview.expect("the dry run, taking over").text().await.unwrap_or_default();
    assert!(preview.contains("spec.replicas: 2 → 3"), "{preview}");
    client.find(Locator::Id("action-apply")).await.expect("Apply").click().await.expect("apply");
    let outcome = client.wait().at_most(Duration::from_secs(120)).for_element(Locator::Id("action-outcome")).await;
    let outcome = outcome.expect("the outcome").text().await.unwrap_or_default();
    assert_eq!(outcome, format!("Scaled {id} on {context} to 3 pods (revision 2)."));
    let bar = client.find(Locator::Id("action-progress-bar")).await.expect("the progress bar");
    assert_eq!(bar.attr("value").await.ok().flatten().as_deref(), Some("100"), "the bar is full");
    let done = client.find_all(Locator::Css(".step.step-done")).await.expect("steps");
    assert_eq!(done.len(), 7, "every step done");
    let mut toasts = Vec::new();
    for toast in client.find_all(Locator::Css(".toast-good")).await.expect("toasts") {
        toasts.push(toast.text().await.unwrap_or_default());
    }
    assert!(toasts.iter().any(|t| t.contains("Scaled")), "a toast says so: {toasts:?}");
    save_screenshot(client, "action-progress.png").await;
    let deployment = deployments.get("app").await;
    assert_eq!(deployment.expect("the app").status.and_then(|s| s.ready_replicas), Some(3));

    client.find(Locator::Css(".modal-foot .secondary")).await.expect("Close").click().await.expect("close");
    client.find(Locator::Id("tab-audit")).await.expect("audit tab").click().await.expect("switch view");
    let rows = client.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("tr.audit-row")).await;
    let newest = rows.expect("audit rows").text().await.unwrap_or_default();
    assert!(newest.contains("scale") && newest.contains(id) && newest.contains("succeeded"), "{newest}");
    assert!(newest.contains("TICKET-7"), "the reason is in the audit view: {newest}");
    assert_eq!(client.find_all(Locator::Css("tr.audit-row")).await.expect("rows").len(), 2, "the create and the scale");
    save_screenshot(client, "audit.png").await;
}

/// Tenants in the big cache.
const BIG_FLEET: usize = 10_000;
/// The start every big-cache tenant's id shares: longer than the id column, so only the end
/// tells two rows apart.
const BULK: &str = "bulk-bakery-and-coffee-house-";

/// Fills a cache in `data_dir` with [`BIG_FLEET`] tenants `{BULK}00000`, … modelled on the first
/// row of the cache at `template` (the real seeded fleet), alternating between its clusters.
async fn ten_thousand_cached_tenants(template: &Path, data_dir: &Path) {
    let source = Cache::open(template).await.expect("the seeded cache opens").cache;
    let model = source.tenants().await.expect("cached tenants").remove(0);
    let clusters = source.clusters().await.expect("cached clusters");
    source.close().await;
    let big = Cache::open(&data_dir.join("cache.sqlite")).await.expect("a new cache").cache;
    let writer = big.writer();
    let at = tenantry_core::labels::now();
    for status in &clusters {
        writer.send(Write::Cluster { status: status.clone(), at: at.clone() });
    }
    for (n, status) in clusters.iter().enumerate() {
        let seen = (n..BIG_FLEET)
            .step_by(clusters.len())
            .map(|i| {
                let mut summary = model.clone();
                summary.id = format!("{BULK}{i:05}");
                summary.cluster = status.context.clone();
                summary.customer = format!("Bulk Bakery and Coffee House Customer {i}");
                summary.domains = vec![format!("{BULK}{i:05}.shops.example.com")];
                SeenTenant { summary: std::sync::Arc::new(summary), spec: None }
            })
            .collect();
        writer.send(Write::Tenants { cluster: status.context.clone(), seen, removed: Vec::new(), at: at.clone() });
    }
    writer.finish().await;
    big.close().await;
}

/// The numbers of the `{BULK}NNNNN` rows rendered now.
async fn bulk_rows(client: &Client) -> Vec<usize> {
    tenant_rows(client).await.iter().filter_map(|(_, id)| id.strip_prefix(BULK)?.parse().ok()).collect()
}

/// Long ids, customers and domains that share their start: the rows in view never look the
/// same — each shows the end that tells it apart, the full text on hover.
async fn long_names_stay_apart(client: &Client) {
    for (column, css) in [("tenant", ".name"), ("customer", "td:nth-child(3) span"), ("domain", "td:nth-child(4) code")]
    {
        let mut shown = Vec::new();
        for cell in client.find_all(Locator::Css(&format!("tr.tenant-row {css}"))).await.expect("cells") {
            let text = cell.text().await.unwrap_or_default();
            let full = cell.attr("title").await.ok().flatten().unwrap_or_default();
            assert!(text.contains('…') && full.starts_with(&text[..4]), "{column}: {text:?} is cut, {full:?} on hover");
            shown.push(text);
        }
        let count = shown.len();
        shown.sort();
        shown.dedup();
        assert!(count > 5 && shown.len() == count, "{column}: {count} rows, {} distinct: {shown:?}", shown.len());
    }
}

/// Scrolls the fleet table to `fraction` of its height and waits until rows near it render.
async fn scroll_to(client: &Client, fraction: f64, near: usize) -> Vec<usize> {
    let script = "const v = document.querySelector('.viewport'); \
                  v.scrollTop = v.scrollHeight * arguments[0]; v.dispatchEvent(new Event('scroll'));";
    client.execute(script, vec![serde_json::json!(fraction)]).await.expect("the table scrolls");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let rows = bulk_rows(client).await;
        if rows.iter().any(|&n| n.abs_diff(near) <= 20) {
            return rows;
        }
        assert!(Instant::now() < deadline, "after scrolling to {fraction}: rows {rows:?}, none near {near}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A cached fleet of ten thousand tenants: all are counted, only the rows in view are in the
/// page, scrolling to the middle and the end renders the rows there, and search finds one.
async fn ten_thousand_rows_scroll(client: &Client) {
    let count = client.wait().at_most(Duration::from_secs(30)).for_element(Locator::Css(".count-note")).await;
    let count = count.expect("the count note");
    let deadline = Instant::now() + Duration::from_secs(30);
    while count.text().await.unwrap_or_default() != "10000 of 10000 tenants" {
        assert!(Instant::now() < deadline, "count: {}", count.text().await.unwrap_or_default());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let first = bulk_rows(client).await;
    assert_eq!(first.first(), Some(&0), "sorted by tenant: {first:?}");
    assert!(first.len() < 100, "only the rows in view are rendered, not {}", first.len());
    let middle = scroll_to(client, 0.5, BIG_FLEET / 2).await;
    assert!(middle.len() < 100, "{} rows rendered in the middle", middle.len());
    long_names_stay_apart(client).await;
    save_screenshot(client, "fleet-10000.png").await;
    let end = scroll_to(client, 1.0, BIG_FLEET - 1).await;
    assert!(end.contains(&(BIG_FLEET - 1)), "the last row renders at the end: {end:?}");
    client.find(Locator::Css("body")).await.expect("page body").send_keys("/").await.expect("press /");
    client.active_element().await.expect("the search").send_keys("-07777.shops").await.expect("type");
    let rows = tenant_rows_until(client, "the search finds one of 10,000", |rows| rows.len() == 1).await;
    assert_eq!(rows[0].1, format!("{BULK}07777"));
}

/// The tenant rows in view: (cluster, tenant).
async fn tenant_rows(client: &Client) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    for row in client.find_all(Locator::Css("tr.tenant-row")).await.expect("rows can be queried") {
        let cluster = row.attr("data-cluster").await.ok().flatten().unwrap_or_default();
        let tenant = row.attr("data-tenant").await.ok().flatten().unwrap_or_default();
        rows.push((cluster, tenant));
    }
    rows
}

/// Waits until the tenant rows in view satisfy `done`.
async fn tenant_rows_until(
    client: &Client,
    what: &str,
    done: impl Fn(&[(String, String)]) -> bool,
) -> Vec<(String, String)> {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let rows = tenant_rows(client).await;
        if done(&rows) {
            return rows;
        }
        assert!(Instant::now() < deadline, "{what}: {rows:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The fleet view lists the tenants of both reachable clusters and reports the unreachable one;
/// picking a cluster leaves its tenants; a domain typed into the search leaves that tenant, which
/// arrow-down and Enter open: its detail lists its pod, backup and health chart; Esc goes back,
/// and Esc in the search clears it.
async fn fleet_view_filters_by_cluster_and_domain(client: &Client) {
    tenant_rows_until(client, "all nine seeded tenants listed", |rows| rows.len() == 9).await;
    let failed = client
        .wait()
        .at_most(Duration::from_secs(40))
        .for_element(Locator::Css(".nav-item[data-state='unreachable']"))
        .await
        .expect("an unreachable cluster in the sidebar");
    assert_eq!(failed.attr("data-cluster").await.ok().flatten().as_deref(), Some("ap-south"));
    let note = failed.find(Locator::Css(".nav-detail")).await.expect("its state").text().await.unwrap_or_default();
    assert_eq!(note, "unreachable · never live");
    save_screenshot(client, "tenants.png").await;

    let us_east = client.find(Locator::Css(".nav-item[data-cluster='us-east']")).await.expect("us-east in the sidebar");
    us_east.click().await.expect("pick us-east");
    let rows = tenant_rows_until(client, "only us-east's three tenants", |rows| rows.len() == 3).await;
    assert!(rows.iter().all(|(cluster, _)| cluster == "us-east"), "{rows:?}");
    let all = client.find(Locator::Css(".nav-item[data-cluster='']")).await.expect("All clusters");
    all.click().await.expect("back to all clusters");
    tenant_rows_until(client, "all nine again", |rows| rows.len() == 9).await;

    let wanted = seed::tenant(3, 1);
    client.find(Locator::Css("body")).await.expect("page body").send_keys("/").await.expect("press /");
    let search = client.active_element().await.expect("a focused element");
    assert_eq!(search.attr("id").await.ok().flatten().as_deref(), Some("tenant-search"), "/ focuses the search");
    search.send_keys(&wanted.domain).await.expect("type a domain");
    let rows = tenant_rows_until(client, "the search leaves one tenant", |rows| rows.len() == 1).await;
    assert_eq!(rows, vec![("eu-west".to_owned(), wanted.id.clone())]);
    save_screenshot(client, "tenant-search.png").await;

    search.send_keys(ARROW_DOWN).await.expect("arrow down");
    client
        .wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::Css("tr.tenant-row.selected"))
        .await
        .expect("the cursor");
    search.send_keys(ENTER).await.expect("Enter opens the tenant");
    let pods = client.wait().at_most(Duration::from_secs(30)).for_element(Locator::Css("tr.pod-row")).await;
    let pod = pods.expect("the detail lists the tenant's pods").text().await.unwrap_or_default();
    assert!(pod.contains("Running") && pod.contains("kwok-node-"), "a running pod on a KWOK node: {pod}");
    assert_eq!(client.find_all(Locator::Css("tr.pod-row")).await.expect("pod rows").len(), 1, "one pod per replica");
    let backup = client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("tr.backup-row")).await;
    assert_eq!(backup.expect("its backup").attr("data-backup").await.ok().flatten().as_deref(), Some("seed-1"));
    client.find(Locator::Css(".health-chart svg")).await.expect("the health chart");
    save_screenshot(client, "tenant-detail.png").await;
    client.find(Locator::Css("body")).await.expect("page body").send_keys(ESCAPE).await.expect("press Esc");
    tenant_rows_until(client, "Esc returns to the (still searched) fleet", |rows| rows.len() == 1).await;

    client.find(Locator::Css("body")).await.expect("page body").send_keys("/").await.expect("press /");
    client.active_element().await.expect("the search").send_keys(ESCAPE).await.expect("press Esc");
    tenant_rows_until(client, "Esc clears the search", |rows| rows.len() == 9).await;
}

/// The number of tenants the tenancy page says the draft finds on `cluster`, once it says so.
async fn tenancy_count(client: &Client, cluster: &str, expected: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    let selector = format!("tr.tenancy-match[data-cluster='{cluster}']");
    loop {
        let found = match client.find(Locator::Css(&selector)).await {
            Ok(row) => row.attr("data-tenants").await.ok().flatten().unwrap_or_default(),
            Err(_) => String::new(),
        };
        if found == expected || Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Replaces the tenancy editor's text as a paste does (one input event).
async fn paste_rules(client: &Client, text: &str) {
    let paste = "const area = document.getElementById('tenancy-text'); \
                 Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set.call(area, arguments[0]); \
                 area.dispatchEvent(new Event('input', { bubbles: true }));";
    client.execute(paste, vec![serde_json::Value::from(text)]).await.expect("the rules are pasted");
}

/// The Tenancy page counts what the rules find on each cluster as they are edited: Tenantry's
/// own tenants at first, then the namespaces the fixture's scripts and Helm made; a broken
/// draft names its line and cannot be saved; Save puts the rules in force.
async fn tenancy_rules_find_the_existing_fleet(client: &Client) {
    tenant_rows_until(client, "the seeded tenants and the one created", |rows| rows.len() == 10).await;
    client.find(Locator::Id("tab-tenancy")).await.expect("tenancy tab").click().await.expect("switch view");
    assert_eq!(tenancy_count(client, "us-east", "3").await, "3", "Tenantry's own tenants without a file");
    assert_eq!(tenancy_count(client, "eu-west", "7").await, "7");

    paste_rules(client, "rules:\n  - name: '^shop-(['\n").await;
    let error = client.wait().at_most(Duration::from_secs(20)).for_element(Locator::Id("tenancy-error")).await;
    let error = error.expect("a broken draft is explained").text().await.unwrap_or_default();
    assert!(error.contains("tenancy.yaml, line"), "the line to fix: {error}");
    let save = client.find(Locator::Id("tenancy-save")).await.expect("Save");
    assert!(save.attr("disabled").await.ok().flatten().is_some(), "a broken draft cannot be saved");

    paste_rules(client, &existing::rules_text()).await;
    assert_eq!(tenancy_count(client, "us-east", "10").await, "10", "3 of Tenantry's and 7 the fixture made");
    assert_eq!(tenancy_count(client, "eu-west", "7").await, "7");
    save_screenshot(client, "tenancy.png").await;
    client.find(Locator::Id("tenancy-save")).await.expect("Save").click().await.expect("save");
    let toast = client.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css(".toast")).await;
    let toast = toast.expect("saving is confirmed").text().await.unwrap_or_default();
    assert!(toast.contains("Tenancy rules saved: 17 tenants"), "{toast}");
}

/// Under the saved rules a namespace made with kubectl is a tenant: its row says which of its
/// workloads is in trouble, and its detail lists every workload with who manages it and where
/// each field was read.
async fn a_foreign_tenant_shows_its_workloads(client: &Client) {
    client.find(Locator::Id("tab-tenants")).await.expect("tenants tab").click().await.expect("switch view");
    tenant_rows_until(client, "the fleet under the new rules", |rows| rows.len() == 17).await;
    client.find(Locator::Css("body")).await.expect("page body").send_keys("/").await.expect("press /");
    let search = client.active_element().await.expect("the search");
    search.send_keys("shop-alder").await.expect("type its id");
    tenant_rows_until(client, "the search leaves shop-alder", |rows| rows.len() == 1).await;
    let alder = client.find(Locator::Css("tr.tenant-row[data-tenant='shop-alder']")).await.expect("shop-alder's row");
    let health = alder.find(Locator::Css("td.health-cell")).await.expect("its health");
    let reason = health.attr("title").await.ok().flatten().unwrap_or_default();
    assert_eq!(reason, "worker: 0 of 1 pods ready: pods cannot be scheduled");
    assert!(health.text().await.unwrap_or_default().to_lowercase().contains("degraded"));
    search.send_keys(ARROW_DOWN).await.expect("arrow down");
    search.send_keys(ENTER).await.expect("Enter opens shop-alder");
    let rows = client.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("tr.workload-row")).await;
    rows.expect("its workloads");
    let workloads = client.find_all(Locator::Css("tr.workload-row")).await.expect("workload rows");
    let mut names = Vec::new();
    for workload in workloads {
        names.push(workload.attr("data-workload").await.ok().flatten().unwrap_or_default());
    }
    assert_eq!(names, ["web", "worker"], "the main workload first");
    let sources = client.find(Locator::Css(".fields.sources")).await.expect("where the fields come from");
    let sources = sources.text().await.unwrap_or_default();
    assert!(sources.contains("label app.kubernetes.io/version of Deployment web"), "{sources}");
    assert!(sources.contains("hosts of Ingress admin, shop"), "{sources}");
    let scale = client.find(Locator::Id("action-update")).await.expect("Update");
    let why = scale.attr("title").await.ok().flatten().unwrap_or_default();
    assert!(why.contains("adopt it with a blueprint first"), "{why}");
    save_screenshot(client, "foreign-tenant.png").await;
    client.find(Locator::Css("body")).await.expect("page body").send_keys(ESCAPE).await.expect("press Esc");
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Opens tenant `id` from the fleet view as a user would: `/`, its id, arrow down, Enter.
async fn open_tenant(client: &Client, id: &str) {
    client.find(Locator::Css("body")).await.expect("page body").send_keys("/").await.expect("press /");
    let search = client.active_element().await.expect("the search");
    search.send_keys(id).await.expect("type the id");
    tenant_rows_until(client, "the search leaves the tenant", |rows| rows.len() == 1).await;
    search.send_keys(ARROW_DOWN).await.expect("arrow down");
    search.send_keys(ENTER).await.expect("Enter opens the tenant");
}

/// Waits up to `seconds` until the text of the element at `css` contains `part`; returns it.
async fn text_contains(client: &Client, css: &str, part: &str, seconds: u64) -> String {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let mut text = String::new();
        for element in client.find_all(Locator::Css(css)).await.unwrap_or_default() {
            text.push_str(&element.text().await.unwrap_or_default());
            text.push('\n');
        }
        if text.contains(part) {
            return text;
        }
        assert!(Instant::now() < deadline, "{css} does not show {part:?} within {seconds} s: {text}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A help-desk person's "why is this shop down?": the tenant's logs of all its pods merged and
/// followed (a line written now appears), searched; its drift (a kubectl scale, named with its
/// writer) synced away; its timeline; and a bundle for an engineer written to disk.
async fn diagnose_in_the_window(client: &Client, fleet: &Fleet, context: &str, id: &str, data_dir: &Path) {
    let admin = client_for(&fleet.kubeconfig, Some(context)).await.expect("admin client");
    let pods = kube::Api::<k8s_openapi::api::core::v1::Pod>::namespaced(admin.clone(), id)
        .list(&kube::api::ListParams::default().labels("app.kubernetes.io/name=app"))
        .await
        .expect("pods");
    let logs_dir = fleet.dir.join("pod-logs");
    let mut files = Vec::new();
    for (n, pod) in pods.items.iter().enumerate() {
        let name = kube::ResourceExt::name_any(pod);
        let lines: Vec<(i64, String)> = (0..40_i64)
            .map(|i| {
                (
                    400 - i * 10 + n as i64,
                    format!(
                        "200 GET /products?page={i} host=maple.example.com {}ms",
                        20 + (i * 37 + n as i64 * 11) % 300
                    ),
                )
            })
            .chain([(5 + n as i64, format!("500 POST /checkout failed: payment gateway timeout (pod {n})"))])
            .collect();
        let current = tenantry_tests::pod_logs::cri_log(&lines);
        let previous = tenantry_tests::pod_logs::cri_log(&[(900, "FATAL: database connection refused".into())]);
        files.push(
            tenantry_tests::pod_logs::serve_pod(&admin, &logs_dir, id, &name, &current, &previous).await.expect("logs"),
        );
    }
    client.find(Locator::Id("tab-tenants")).await.expect("tenants tab").click().await.expect("switch view");
    open_tenant(client, id).await;

    // "Watch this tenant": notified about even if its cluster is muted; kept in the config folder.
    let notice = client.wait().at_most(Duration::from_secs(30)).for_element(Locator::Id("tenant-notice")).await;
    notice.expect("the tenant's notification setting").select_by_value("watched").await.expect("watch this tenant");
    wait_file_contains(&data_dir.join("config/notifications.json"), &format!("{context}/{id}")).await;

    // Logs: every pod's lines merged, named by pod; a line written now arrives while following.
    let logs_tab = client.wait().at_most(Duration::from_secs(30)).for_element(Locator::Css(".tab-logs")).await;
    logs_tab.expect("a Logs tab").click().await.expect("open the logs");
    for n in 0..3 {
        text_contains(client, ".log-lines", &format!("payment gateway timeout (pod {n})"), 30).await;
    }
    files[1].append("200 POST /checkout paid order 4711").expect("append");
    text_contains(client, ".log-lines", "paid order 4711", 15).await;
    let status = client.find(Locator::Css(".log-status")).await.expect("status").text().await.unwrap_or_default();
    assert!(status.contains("from 3 containers") && status.contains("following"), "{status}");
    let search = client.find(Locator::Css(".log-search")).await.expect("the log search");
    search.send_keys("checkout").await.expect("search");
    text_contains(client, ".log-found", "of 4 lines", 10).await;
    assert!(!client.find_all(Locator::Css(".log-line mark")).await.expect("marks").is_empty(), "matches are marked");
    save_screenshot(client, "logs.png").await;

    // Drift: a kubectl scale, shown with its writer, then synced back through the pipeline.
    let deployments = kube::Api::<k8s_openapi::api::apps::v1::Deployment>::namespaced(admin.clone(), id);
    let by_kubectl = kube::api::PatchParams { field_manager: Some("kubectl".into()), ..Default::default() };
    let five = kube::api::Patch::Merge(serde_json::json!({"spec": {"replicas": 5}}));
    deployments.patch_scale("app", &by_kubectl, &five).await.expect("scaled with kubectl");
    client.find(Locator::Css(".tab-drift")).await.expect("a Drift tab").click().await.expect("open drift");
    let drift = text_contains(client, ".drift-table", "spec.replicas", 30).await;
    assert!(drift.contains("kubectl") && drift.contains('5') && drift.contains("pods"), "{drift}");
    save_screenshot(client, "drift.png").await;
    client.find(Locator::Css(".drift-sync")).await.expect("Sync").click().await.expect("sync");
    let reason = client.wait().at_most(Duration::from_secs(5)).for_element(Locator::Css(".drift-reason")).await;
    reason.expect("a reason field").send_keys("TICKET-12 undo hand scale").await.expect("type");
    client.find(Locator::Css(".drift-run-button")).await.expect("run").click().await.expect("take it back");
    text_contains(client, ".drift-outcome", "Updated", 120).await;
    text_contains(client, ".drift-head", "No drift", 30).await;

    // The timeline: the create, the scale and the sync, newest first.
    client.find(Locator::Css(".tab-timeline")).await.expect("a Timeline tab").click().await.expect("open timeline");
    let timeline = text_contains(client, ".timeline-list", "Revision 2: scale", 30).await;
    assert!(timeline.contains("Revision 1: create") && timeline.contains("TICKET-12"), "{timeline}");
    assert!(
        timeline.contains("Deployment/app: spec.replicas changed outside Tenantry"),
        "the hand scale seen: {timeline}"
    );
    save_screenshot(client, "timeline.png").await;

    // The bundle: written where the window says, and that file exists.
    client.find(Locator::Id("write-bundle")).await.expect("a bundle button").click().await.expect("write");
    let path = client.wait().at_most(Duration::from_secs(60)).for_element(Locator::Css(".bundle-path")).await;
    let path = path.expect("where it went").text().await.unwrap_or_default();
    assert!(path.starts_with(&data_dir.join("exports").display().to_string()), "{path}");
    assert!(Path::new(&path).exists(), "{path} exists");
    save_screenshot(client, "bundle.png").await;
    client.find(Locator::Css("body")).await.expect("page body").send_keys(ESCAPE).await.expect("back to the fleet");
}

/// Types `text` into the field `id` until it holds it (a re-render may swallow keys).
async fn fill(client: &Client, id: &str, text: &str) {
    let field = client.find(Locator::Id(id)).await.unwrap_or_else(|e| panic!("field {id}: {e}"));
    for _ in 0..3 {
        if field.prop("value").await.ok().flatten().as_deref() == Some(text) {
            return;
        }
        field.clear().await.expect("clear the field");
        field.send_keys(text).await.expect("type");
    }
    assert_eq!(field.prop("value").await.ok().flatten().as_deref(), Some(text), "field {id}");
}

/// A second launch with the running app's data folder brings that window to the front and ends,
/// saying so; a launch with another data folder is an app of its own.
async fn a_second_launch_shows_the_first_window(kubeconfig: &str, data_dir: &Path, other_dir: &Path) {
    let launch = |dir: &Path| {
        std::process::Command::new(app_binary())
            .env("KUBECONFIG", kubeconfig)
            .env("TENANTRY_DATA_DIR", dir)
            .env("TENANTRY_CONFIG_DIR", dir.join("config"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the app starts")
    };
    let mut second = launch(data_dir);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = second.try_wait().expect("the second launch") {
            break status;
        }
        assert!(Instant::now() < deadline, "a second launch with the same data folder ends");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut said = String::new();
    std::io::Read::read_to_string(&mut second.stderr.take().expect("its stderr"), &mut said).expect("read");
    assert!(status.success(), "{status}: {said}");
    assert!(said.contains("already runs with the data folder") && said.contains("brought to the front"), "{said}");
    let asked = || {
        std::fs::read_dir(data_dir.join("logs")).into_iter().flatten().flatten().any(|file| {
            std::fs::read_to_string(file.path()).is_ok_and(|log| log.contains("a second launch asked for the window"))
        })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !asked() {
        assert!(Instant::now() < deadline, "the running app logs the second launch's request");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut other = launch(other_dir);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(other.try_wait().expect("the other launch").is_none(), "another data folder is an app of its own");
    tenantry_tests::process::terminate(other.id());
    let _ = other.wait();
}

/// A help-desk lead's fleet change: every "books" shop chosen by the search and "choose all"
/// (one taken out with its checkbox, Esc clearing, then all again), a new version planned with a
/// named canary (adopting them refused as they are Tenantry's already, a canary outside the
/// selection refused; the change grouped with its field, the
/// server's dry run of a sample), started with a reason, and
/// followed wave by wave until it ends — the shop whose namespace quota admits no new pod failed
/// with its reason, the others converged; the failed one opened from the rollout view; the
/// report exported.
async fn rollout_in_the_window(client: &Client, fleet: &Fleet, data_dir: &Path) {
    let admin = client_for(&fleet.kubeconfig, Some("eu-west")).await.expect("admin client");
    let quota: k8s_openapi::api::core::v1::ResourceQuota = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "no-new-pods"}, "spec": {"hard": {"pods": "0"}},
    }))
    .expect("a quota");
    kube::Api::namespaced(admin, "ember-books").create(&Default::default(), &quota).await.expect("the quota");
    tenant_rows_until(client, "the fleet is listed", |rows| rows.len() >= 9).await;
    let search = client.find(Locator::Id("tenant-search")).await.expect("the search");
    search.send_keys("books").await.expect("type a search");
    tenant_rows_until(client, "the search leaves the shops", |rows| rows.len() == 9).await;
    let chosen = |n: usize| async move {
        text_contains(client, "#selection-count", &format!("{n} chosen"), 10).await;
    };
    client.find(Locator::Id("pick-all")).await.expect("choose all").click().await.expect("click");
    chosen(9).await;
    let one = "tr[data-tenant='cedar-books'][data-cluster='us-east'] input.pick-row";
    client.find(Locator::Css(one)).await.expect("a row's checkbox").click().await.expect("click");
    chosen(8).await;
    save_screenshot(client, "fleet-selection.png").await;
    client.find(Locator::Css("body")).await.expect("page body").send_keys(ESCAPE).await.expect("Esc");
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.find(Locator::Id("selection-count")).await.is_ok() {
        assert!(Instant::now() < deadline, "Esc leaves the selection");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    client.find(Locator::Id("pick-all")).await.expect("choose all").click().await.expect("click");
    chosen(9).await;
    client.find(Locator::Id("change-chosen")).await.expect("Change").click().await.expect("open the dialog");
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("rollout-dialog"))
        .await
        .expect("the dialog");
    for (id, text) in [
        ("rollout-version", "7.0.0"),
        ("rollout-canary", "2"),
        ("rollout-wave-size", "4"),
        ("rollout-hold", "2"),
        ("rollout-max-failures", "3"),
        ("rollout-max-percent", "50"),
    ] {
        fill(client, id, text).await;
    }
    client.find(Locator::Id("rollout-plan-button")).await.expect("Plan").click().await.expect("plan");
    let refused = text_contains(client, ".modal-body", "Say why", 10).await;
    assert!(refused.contains("audit entry"), "a reason is required: {refused}");
    fill(client, "rollout-reason", "TICKET-42").await;
    // Adopting shops Tenantry already manages changes none of them, and says so.
    let action = client.find(Locator::Id("rollout-action")).await.expect("the action");
    action.select_by_value("Adopt").await.expect("choose Adopt");
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("rollout-blueprint"))
        .await
        .expect("Adopt's fields");
    save_screenshot(client, "rollout-adopt.png").await;
    client.find(Locator::Id("rollout-plan-button")).await.expect("Plan").click().await.expect("plan");
    let refused = text_contains(client, ".modal-body", "already a Tenantry tenant", 30).await;
    assert!(refused.contains("none of the 9 chosen tenants would change"), "{refused}");
    action.select_by_value("Update").await.expect("back to Update");
    fill(client, "rollout-canary-tenants", "us-east/nowhere-books").await;
    client.find(Locator::Id("rollout-plan-button")).await.expect("Plan").click().await.expect("plan");
    let refused = text_contains(client, ".modal-body", "not among the chosen tenants", 10).await;
    assert!(refused.contains("us-east/nowhere-books"), "a canary outside the selection is named: {refused}");
    fill(client, "rollout-canary-tenants", "us-east/cedar-books").await;
    client.find(Locator::Id("rollout-plan-button")).await.expect("Plan").click().await.expect("plan");
    let plan = text_contains(client, "#rollout-plan", "tenants change", 60).await;
    assert!(plan.contains("9 tenants change"), "{plan}");
    assert!(plan.contains("spec.template.spec.containers[0].image"), "the field is named: {plan}");
    assert!(plan.contains("→ registry.example.com/web:7.0.0"), "{plan}");
    assert!(plan.contains("server dry run of") && plan.contains("accepted"), "{plan}");
    assert!(plan.contains("Canary 1 (us-east/cedar-books), then 2 waves (4 + 4)"), "the named canary: {plan}");
    save_screenshot(client, "rollout-plan.png").await;
    client.find(Locator::Id("rollout-start")).await.expect("Start").click().await.expect("start");
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("rollout-view"))
        .await
        .expect("the rollout view");
    text_contains(client, "#rollout-waves", "canary", 10).await;
    text_contains(client, "tr.rollout-tenant[data-tenant='cedar-books'][data-cluster='us-east']", "canary", 10).await;
    text_contains(client, "#rollout-counts", "converged", 30).await;
    save_screenshot(client, "rollout-running.png").await;
    let state = text_contains(client, "#rollout-state", "finished", 120).await;
    assert!(state.contains("finished"), "{state}");
    let counts = text_contains(client, "#rollout-counts", "9 of 9 ended", 10).await;
    assert!(counts.contains("8 converged · 1 failed"), "{counts}");
    client
        .find(Locator::Css(".state-chip[data-state='failed']"))
        .await
        .expect("the failed filter")
        .click()
        .await
        .expect("filter");
    let failed = text_contains(client, "#rollout-tenants tbody", "ember-books", 10).await;
    assert!(failed.contains("eu-west") && failed.contains("quota"), "it failed with the reason: {failed}");
    assert_eq!(client.find_all(Locator::Css("tr.rollout-tenant")).await.map(|rows| rows.len()).ok(), Some(1));
    save_screenshot(client, "rollout-finished.png").await;
    client
        .find(Locator::Css("tr.rollout-tenant[data-tenant='ember-books'] button.open-tenant"))
        .await
        .expect("its row")
        .click()
        .await
        .expect("open it");
    let detail = text_contains(client, "main", "ember-books", 20).await;
    assert!(detail.contains("Overview"), "the tenant's detail opens: {detail}");
    client.find(Locator::Css("body")).await.expect("page body").send_keys(ESCAPE).await.expect("Esc goes back");
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("rollout-export"))
        .await
        .expect("back in the rollout")
        .click()
        .await
        .expect("export");
    let toast = text_contains(client, ".toast", "Report saved as", 10).await;
    let exports = std::fs::read_dir(data_dir.join("exports")).expect("the exports folder");
    let report =
        exports.flatten().find(|e| e.file_name().to_string_lossy().starts_with("rollout-")).expect("the report file");
    let csv = std::fs::read_to_string(report.path()).expect("read the report");
    assert_eq!(csv.lines().count(), 10, "a header and a row per tenant ({toast}): {csv}");
    assert!(csv.lines().any(|l| l.contains("ember-books") && l.contains("failed")), "{csv}");
}
