//! Tenantry's desktop shell: the window and the commands the UI calls. Every command is one
//! call into `tenantry_core`; the UI receives only `tenantry_model` types.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod actions;
mod bundle;
mod clusters;
mod commands;
mod kubeconfig_watch;
mod logs;
mod marks;
mod notifications;
#[cfg(target_os = "linux")]
mod painting;
mod rollouts;
mod tenancy;
mod timeline;
mod tray;
mod window;

use tenantry_core::actions::{ActionSettings, Actions, ControllersOfRecord};
use tenantry_core::blueprint::Catalog;
use tenantry_core::cache::Cache;
use tenantry_core::cluster::ClusterList;
use tenantry_core::fleet::{Fleet, Settings};
use tenantry_core::kubeconfig::Sources;

/// jemalloc, as in the CLI (`crates/cli/src/main.rs` says why).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    let started = std::time::SystemTime::now();
    #[cfg(target_os = "linux")]
    painting::paint_on_the_cpu();
    let mut log_guard = match tenantry_core::logging::init(&tenantry_core::paths::log_dir()) {
        Ok(guard) => Some(guard),
        Err(err) => {
            eprintln!("warning: logging to file is off: {}", tenantry_core::error::chain(&err));
            None
        }
    };
    let data_dir = tenantry_core::paths::data_dir();
    // Held until the process ends: the lock is what keeps a second window from this folder.
    let (_instance_lock, listener) = match tenantry_core::instance::claim(&data_dir) {
        Some(tenantry_core::instance::Instance::First { lock, listener }) => (Some(lock), listener),
        Some(tenantry_core::instance::Instance::Shown) => {
            eprintln!(
                "Tenantry already runs with the data folder {}; its window was brought to the front.",
                data_dir.display()
            );
            return;
        }
        Some(tenantry_core::instance::Instance::Unreachable(why)) => {
            eprintln!(
                "Tenantry already runs with the data folder {}, but it did not answer ({why}); close it or wait for it, then start again.",
                data_dir.display()
            );
            std::process::exit(1);
        }
        None => (None, None),
    };
    // Set once the app ends, so a launch meanwhile waits to take the folder over.
    let closing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let closing_flag = std::sync::Arc::clone(&closing);
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "Tenantry starting");
    // The fleet and the actions read their caches while GTK and the window come up.
    let (settings, problem) = Settings::configured();
    if let Some(problem) = problem {
        tracing::warn!(problem = %tenantry_core::error::chain(&problem), "tenancy rules: the last that loaded are in force");
    }
    let tenancy = std::sync::Arc::clone(&settings.tenancy);
    let marks = marks::Marks::new(started);
    let rows_shown = marks.rows_shown();
    let started_parts = tauri::async_runtime::spawn(async move {
        let fleet = start_fleet(settings, rows_shown).await;
        // After the fleet's: a damaged cache is set aside and rebuilt by the first to open it.
        let actions = start_actions(tenancy).await;
        (fleet, actions)
    });
    let app = tauri::Builder::default()
        .setup(move |app| {
            use tauri::Manager as _;
            if let Some(listener) = listener {
                let handle = app.handle().clone();
                tenantry_core::instance::serve(listener, std::sync::Arc::clone(&closing_flag), move || {
                    show_window(&handle)
                });
            }
            let (fleet, actions) = tauri::async_runtime::block_on(started_parts)?;
            app.manage(timeline::LastLooked(tauri::async_runtime::block_on(fleet.looked())));
            app.manage(notifications::Notifications::start(&fleet));
            app.manage(fleet);
            tauri::async_runtime::spawn(timeline::remember_while_open(app.handle().clone()));
            app.manage(actions?);
            app.manage(logs::LogStreams::default());
            app.manage(rollouts::RolloutTasks::default());
            app.manage(rollouts::RolloutsFollowed::default());
            app.manage(kubeconfig_watch::Reloads::default());
            app.manage(tray::OpenRequests::default());
            app.manage(marks);
            tray::start(app);
            tauri::async_runtime::spawn(kubeconfig_watch::follow(app.handle().clone()));
            tauri::async_runtime::spawn(exit_on_signal(app.handle().clone()));
            window::restore(app);
            tauri::async_runtime::spawn(window::show_anyway(app.handle().clone()));
            Ok(())
        })
        .on_window_event(window::follow)
        .on_page_load(window::show_on_load)
        .invoke_handler(tauri::generate_handler![
            commands::watch_clusters,
            clusters::add_cluster,
            clusters::remove_cluster,
            clusters::set_watched,
            clusters::check_clusters,
            clusters::sign_in,
            clusters::set_group,
            commands::watch_tenants,
            commands::tenant_detail,
            logs::log_access,
            logs::tenant_logs,
            logs::stop_logs,
            logs::save_logs,
            actions::action_access,
            actions::preview_action,
            actions::run_action,
            actions::unfinished_actions,
            actions::resume_action,
            actions::roll_back_action,
            actions::tenant_drift,
            actions::accept_drift,
            actions::audit_log,
            actions::export_audit,
            tenancy::read_tenancy,
            tenancy::check_tenancy,
            tenancy::save_tenancy,
            timeline::tenant_timeline,
            timeline::since_last_looked,
            bundle::write_bundle,
            bundle::open_export_folder,
            rollouts::plan_rollout,
            rollouts::plan_roll_back_rollout,
            rollouts::start_rollout,
            rollouts::rollout,
            rollouts::rollouts,
            rollouts::rollout_changes,
            rollouts::pause_rollout,
            rollouts::abort_rollout,
            rollouts::export_rollout,
            window::last_view,
            window::remember_view,
            kubeconfig_watch::watch_kubeconfig,
            notifications::notification_settings,
            notifications::save_notification_settings,
            tray::watch_open_requests,
            marks::mark,
            marks::timing_marks
        ])
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(move |handle, event| {
            if let tauri::RunEvent::Exit = event {
                closing.store(true, std::sync::atomic::Ordering::SeqCst);
                tauri::async_runtime::block_on(close(handle));
                // The event loop ends the process without returning: the log is flushed here.
                drop(log_guard.take());
            }
        }),
        Err(err) => {
            tracing::error!(error = %tenantry_core::error::chain(&err), "the window could not be opened");
            std::process::exit(1);
        }
    }
}

/// Brings the main window to the front (a second launch or the tray asked for it).
pub fn show_window(handle: &tauri::AppHandle) {
    use tauri::Manager as _;
    let on_main = handle.clone();
    let shown = handle.run_on_main_thread(move || {
        if let Some(window) = on_main.get_webview_window("main") {
            let _ = window.unminimize();
            let _ = window.show();
            let _ = window.set_focus();
        }
    });
    if let Err(error) = shown {
        tracing::warn!(error = %tenantry_core::error::chain(&error), "the window could not be brought to the front");
    }
}

/// Ends the app the orderly way (cache closed, log flushed) when the session asks it to stop
/// (SIGTERM at logout, Ctrl-C in the terminal that started it).
async fn exit_on_signal(handle: tauri::AppHandle) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut terminate), Ok(mut interrupt)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        tracing::warn!("stop signals cannot be caught; the app closes its cache only when its window closes");
        return;
    };
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    tracing::info!("asked to stop");
    handle.exit(0);
}

/// Writes what the fleet has queued and closes the cache's files, so nothing is left in a
/// write-ahead log when the app ends.
async fn close(handle: &tauri::AppHandle) {
    use tauri::Manager as _;
    if let Some(followed) = handle.try_state::<window::Followed>() {
        window::save(&followed);
    }
    if let Some(fleet) = handle.try_state::<Fleet>() {
        fleet.remember_looked().await;
        fleet.close().await;
    }
    if let Some(actions) = handle.try_state::<Actions>() {
        actions.close().await;
    }
    tracing::info!("Tenantry closed");
}

/// The fleet of the kubeconfig's clusters (one context per API server), served from the cache
/// first — watched once the window has shown the cached rows (`rows_shown`); with a damaged
/// kubeconfig only the cache is shown.
async fn start_fleet(settings: Settings, rows_shown: impl Future<Output = ()> + Send + 'static) -> Fleet {
    let list = ClusterList::load_with_added(&Sources::from_env());
    let clusters = list.watched(None).into_iter().cloned().collect();
    Fleet::start_once_shown(clusters, Some(&tenantry_core::paths::cache_file()), settings, rows_shown).await
}

/// The actions, journaled in the cache, rendering the built-in and the config folder's
/// blueprints (broken blueprint files are logged and left out), with the declared controllers
/// of record (a broken file is logged; the defaults stay in force) and the fleet's tenancy rules.
async fn start_actions(
    tenancy: std::sync::Arc<tenantry_core::tenancy::TenancyRules>,
) -> Result<Actions, tenantry_core::cache::CacheError> {
    let cache = match Cache::open(&tenantry_core::paths::cache_file()).await {
        Ok(opened) => opened.cache,
        Err(err) => {
            let why = tenantry_core::error::chain(&err);
            tracing::warn!(error = %why, "actions are refused: their journal cannot be kept");
            Cache::unavailable(why).await?
        }
    };
    let catalog = Catalog::load(&tenantry_core::paths::blueprint_dir());
    for problem in &catalog.problems {
        tracing::warn!(problem = %tenantry_core::error::chain(problem), "blueprint left out");
    }
    let controllers = ControllersOfRecord::load(&tenantry_core::paths::controllers_file()).unwrap_or_else(|problem| {
        tracing::warn!(problem = %problem, "controllers of record");
        ControllersOfRecord::default()
    });
    let converge_timeout = ActionSettings::converge_timeout_from_env(ActionSettings::default().converge_timeout);
    let settings = ActionSettings { converge_timeout, controllers, tenancy };
    Ok(Actions::new(cache, catalog, settings))
}
