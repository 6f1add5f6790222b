//! The only place that talks to the Tauri backend (`window.__TAURI__.core`).

use serde::Serialize;
use serde::de::DeserializeOwned;
use tenantry_model::{
    ActionAccess, ActionEvent, ActionRequest, AddedClusterReport, AuditEntry, AuditFilter, BundleReport, ClusterEvent,
    ClusterRow, DriftAcceptance, DriftReport, ErrorKind, FleetChange, FleetEvent, JournalEntry, LogEvent, LogRequest,
    NewCluster, NotificationSettings, Outcome, Preview, ProbeResult, Rollout, RolloutChanges, RolloutPlan,
    RolloutSettings, RolloutSummary, SignInEvent, SinceLastLooked, TenancyFile, TenancyMatch, TenantDetail, Timeline,
    UiError, View,
};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `window.__TAURI__.core.Channel`: an ordered stream of messages from a command.
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = Channel)]
    type TauriChannel;

    #[wasm_bindgen(constructor, js_namespace = ["window", "__TAURI__", "core"], js_class = "Channel")]
    fn new() -> TauriChannel;

    #[wasm_bindgen(method, setter = onmessage)]
    fn set_onmessage(this: &TauriChannel, handler: &js_sys::Function);

    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], catch)]
    async fn invoke(command: &str, args: JsValue) -> Result<JsValue, JsValue>;
}

fn decode_error(value: JsValue) -> UiError {
    serde_wasm_bindgen::from_value(value.clone()).unwrap_or_else(|_| UiError {
        kind: ErrorKind::Internal,
        message: "The backend did not answer as expected.".into(),
        detail: value.as_string().unwrap_or_else(|| format!("{value:?}")),
    })
}

fn internal(message: &str, detail: impl ToString) -> UiError {
    UiError { kind: ErrorKind::Internal, message: message.to_owned(), detail: detail.to_string() }
}

/// `args` as a plain JS object (maps as objects, as the backend's JSON decoding expects).
fn to_js<A: Serialize>(args: &A) -> Result<JsValue, UiError> {
    args.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| internal("The request could not be prepared.", e))
}

/// Invokes `command` with `args` and decodes its answer.
async fn call<A: Serialize, R: DeserializeOwned>(command: &str, args: &A) -> Result<R, UiError> {
    let args = to_js(args)?;
    let answer = invoke(command, args).await.map_err(decode_error)?;
    serde_wasm_bindgen::from_value(answer).map_err(|e| internal("The answer of the backend could not be read.", e))
}

/// Invokes `command` with `args` plus a channel argument `onEvent`, hands every message, decoded,
/// to `on_event`, and decodes the command's answer.
async fn stream<A: Serialize, T: DeserializeOwned + 'static, R: DeserializeOwned>(
    command: &str,
    args: &A,
    on_event: impl Fn(Result<T, UiError>) + 'static,
) -> Result<R, UiError> {
    listen(command, args, |message| serde_wasm_bindgen::from_value(message).map_err(|err| err.to_string()), on_event)
        .await
}

/// [`stream`] for a command whose messages come as JSON bytes (the backend's `Packed`): they are
/// decoded straight from the bytes, never built as JS objects first.
async fn packed_stream<A: Serialize, T: DeserializeOwned + 'static, R: DeserializeOwned>(
    command: &str,
    args: &A,
    on_event: impl Fn(Result<T, UiError>) + 'static,
) -> Result<R, UiError> {
    let decode = |message: JsValue| {
        let bytes = js_sys::Uint8Array::new(&message).to_vec();
        serde_json::from_slice(&bytes).map_err(|err| err.to_string())
    };
    listen(command, args, decode, on_event).await
}

/// Invokes `command` with `args` plus a channel argument `onEvent` whose messages `decode` reads.
async fn listen<A: Serialize, T: 'static, R: DeserializeOwned>(
    command: &str,
    args: &A,
    decode: impl Fn(JsValue) -> Result<T, String> + 'static,
    on_event: impl Fn(Result<T, UiError>) + 'static,
) -> Result<R, UiError> {
    let channel = TauriChannel::new();
    let handler = Closure::<dyn Fn(JsValue)>::new(move |message: JsValue| {
        on_event(decode(message).map_err(|err| internal("An update from the backend could not be read.", err)));
    });
    channel.set_onmessage(handler.as_ref().unchecked_ref());
    let args = to_js(args)?;
    js_sys::Reflect::set(&args, &"onEvent".into(), &channel).map_err(decode_error)?;
    // Channel messages may still be in flight when the command resolves, so the handler must
    // outlive this call: it is handed to the JS side for good (one small closure per stream).
    handler.forget();
    let answer = invoke(command, args).await.map_err(decode_error)?;
    serde_wasm_bindgen::from_value(answer).map_err(|e| internal("The answer of the backend could not be read.", e))
}

/// No arguments.
#[derive(Serialize)]
struct NoArgs {}

/// The cluster stream: the list, then probe results, then `Done`.
pub async fn watch_clusters(on_event: impl Fn(Result<ClusterEvent, UiError>) + 'static) -> Result<(), UiError> {
    packed_stream("watch_clusters", &NoArgs {}, on_event).await
}

/// Each change of the kubeconfig's files while the app runs (a running count).
pub async fn watch_kubeconfig(on_event: impl Fn(Result<u64, UiError>) + 'static) -> Result<(), UiError> {
    stream("watch_kubeconfig", &NoArgs {}, on_event).await
}

/// Each tenant the tray menu asks the window to open, as `(cluster, id)`.
pub async fn watch_open_requests(
    on_event: impl Fn(Result<(String, String), UiError>) + 'static,
) -> Result<(), UiError> {
    stream("watch_open_requests", &NoArgs {}, on_event).await
}

/// Sets the app's timing mark `name`, reached now (once; the backend measures it from its start).
pub async fn mark(name: &str) -> Result<(), UiError> {
    mark_at(name, js_sys::Date::now()).await
}

/// Sets the app's timing mark `name`, reached at `at` (milliseconds since the Unix epoch).
pub async fn mark_at(name: &str, at: f64) -> Result<(), UiError> {
    #[derive(Serialize)]
    struct Args<'a> {
        name: &'a str,
        at: f64,
    }
    call("mark", &Args { name, at }).await
}

/// The notification settings in force.
pub async fn notification_settings() -> Result<NotificationSettings, UiError> {
    call("notification_settings", &NoArgs {}).await
}

/// Saves the notification settings and puts them in force.
pub async fn save_notification_settings(settings: &NotificationSettings) -> Result<(), UiError> {
    #[derive(Serialize)]
    struct Args<'a> {
        settings: &'a NotificationSettings,
    }
    call("save_notification_settings", &Args { settings }).await
}

/// The tenant stream: each cluster's tenants, then their changes, for as long as the window lives.
pub async fn watch_tenants(on_event: impl Fn(Result<FleetEvent, UiError>) + 'static) -> Result<(), UiError> {
    packed_stream("watch_tenants", &NoArgs {}, on_event).await
}

/// A tenant on a cluster.
#[derive(Serialize)]
struct TenantArgs<'a> {
    cluster: &'a str,
    id: &'a str,
}

/// Adds a cluster by address and token (checked first; the token goes to the OS keyring).
pub async fn add_cluster(request: &NewCluster) -> Result<AddedClusterReport, UiError> {
    #[derive(Serialize)]
    struct Args<'a> {
        request: &'a NewCluster,
    }
    call("add_cluster", &Args { request }).await
}

/// Removes a cluster added in Tenantry, and its token from the keyring.
pub async fn remove_cluster(name: &str) -> Result<(), UiError> {
    #[derive(Serialize)]
    struct Args<'a> {
        name: &'a str,
    }
    call("remove_cluster", &Args { name }).await
}

/// Turns `contexts` on or off for the fleet; the rows as they stand after the choice.
pub async fn set_watched(contexts: &[String], watch: bool) -> Result<Vec<ClusterRow>, UiError> {
    #[derive(Serialize)]
    struct Args<'a> {
        contexts: &'a [String],
        watch: bool,
    }
    call("set_watched", &Args { contexts, watch }).await
}

/// Makes `contexts` group `name`'s clusters (none: the group goes); the rows after it.
pub async fn set_group(name: &str, contexts: &[String]) -> Result<Vec<ClusterRow>, UiError> {
    #[derive(Serialize)]
    struct Args<'a> {
        name: &'a str,
        contexts: &'a [String],
    }
    call("set_group", &Args { name, contexts }).await
}

/// Probes `contexts` now, watched or not.
pub async fn check_clusters(contexts: &[String]) -> Result<Vec<ProbeResult>, UiError> {
    #[derive(Serialize)]
    struct Args<'a> {
        contexts: &'a [String],
    }
    call("check_clusters", &Args { contexts }).await
}

/// Signs in through `context`'s credential plugin; its lines for the person arrive on `on_event`.
pub async fn sign_in(context: &str, on_event: impl Fn(Result<SignInEvent, UiError>) + 'static) -> Result<(), UiError> {
    #[derive(Serialize)]
    struct Args<'a> {
        context: &'a str,
    }
    stream("sign_in", &Args { context }, on_event).await
}

/// One tenant in detail, read from its cluster now.
pub async fn tenant_detail(cluster: &str, id: &str) -> Result<TenantDetail, UiError> {
    call("tenant_detail", &TenantArgs { cluster, id }).await
}

/// For each action on the tenant, the permissions the identity lacks.
pub async fn action_access(context: &str, id: &str) -> Result<Vec<ActionAccess>, UiError> {
    #[derive(Serialize)]
    struct Args<'a> {
        context: &'a str,
        id: &'a str,
    }
    call("action_access", &Args { context, id }).await
}

/// A request to the action commands.
#[derive(Serialize)]
struct RequestArgs<'a> {
    request: &'a ActionRequest,
}

/// What `request` would change.
pub async fn preview_action(request: &ActionRequest) -> Result<Preview, UiError> {
    call("preview_action", &RequestArgs { request }).await
}

/// Runs `request`, handing its progress to `on_event`.
pub async fn run_action(
    request: &ActionRequest,
    on_event: impl Fn(Result<ActionEvent, UiError>) + 'static,
) -> Result<Outcome, UiError> {
    stream("run_action", &RequestArgs { request }, on_event).await
}

/// Actions that did not finish.
pub async fn unfinished_actions() -> Result<Vec<JournalEntry>, UiError> {
    call("unfinished_actions", &NoArgs {}).await
}

/// A journal entry of a cluster.
#[derive(Serialize)]
struct JournalArgs<'a> {
    context: &'a str,
    id: i64,
    confirm: &'a str,
}

/// Runs unfinished action `id` of `context` again.
pub async fn resume_action(
    context: &str,
    id: i64,
    on_event: impl Fn(Result<ActionEvent, UiError>) + 'static,
) -> Result<Outcome, UiError> {
    stream("resume_action", &JournalArgs { context, id, confirm: "" }, on_event).await
}

/// Undoes unfinished action `id` of `context` (`confirm`: the tenant id when that deletes it).
pub async fn roll_back_action(
    context: &str,
    id: i64,
    confirm: &str,
    on_event: impl Fn(Result<ActionEvent, UiError>) + 'static,
) -> Result<Outcome, UiError> {
    stream("roll_back_action", &JournalArgs { context, id, confirm }, on_event).await
}

/// The permission reading tenant `id`'s logs needs, when this identity lacks it.
pub async fn log_access(cluster: &str, id: &str) -> Result<Option<String>, UiError> {
    call("log_access", &TenantArgs { cluster, id }).await
}

/// Streams tenant `id`'s logs as `request` says until they end or [`stop_logs`] stops stream
/// number `stream`.
pub async fn tenant_logs(
    cluster: &str,
    id: &str,
    request: &LogRequest,
    stream: u64,
    on_event: impl Fn(Result<LogEvent, UiError>) + 'static,
) -> Result<(), UiError> {
    #[derive(Serialize)]
    struct Args<'a> {
        cluster: &'a str,
        id: &'a str,
        request: &'a LogRequest,
        stream: u64,
    }
    self::stream("tenant_logs", &Args { cluster, id, request, stream }, on_event).await
}

/// Stops log stream number `stream`.
pub async fn stop_logs(stream: u64) -> Result<(), UiError> {
    #[derive(Serialize)]
    struct Args {
        stream: u64,
    }
    call("stop_logs", &Args { stream }).await
}

/// Saves `text` as `<name>-<time>.log` in the exports folder; returns the file's path.
pub async fn save_logs(name: &str, text: &str) -> Result<String, UiError> {
    #[derive(Serialize)]
    struct Args<'a> {
        name: &'a str,
        text: &'a str,
    }
    call("save_logs", &Args { name, text }).await
}

/// Tenant `id`'s drift, checked by the server's dry run now.
pub async fn tenant_drift(context: &str, id: &str) -> Result<DriftReport, UiError> {
    #[derive(Serialize)]
    struct Args<'a> {
        context: &'a str,
        id: &'a str,
    }
    call("tenant_drift", &Args { context, id }).await
}

/// The request "Accept" runs for tenant `id`'s drift, and the fields it cannot record.
pub async fn accept_drift(context: &str, id: &str, reason: &str) -> Result<DriftAcceptance, UiError> {
    #[derive(Serialize)]
    struct Args<'a> {
        context: &'a str,
        id: &'a str,
        reason: &'a str,
    }
    call("accept_drift", &Args { context, id, reason }).await
}

/// Tenant `id`'s timeline, newest first.
pub async fn tenant_timeline(cluster: &str, id: &str) -> Result<Timeline, UiError> {
    call("tenant_timeline", &TenantArgs { cluster, id }).await
}

/// The fleet's changes since the window was last open.
pub async fn since_last_looked() -> Result<SinceLastLooked, UiError> {
    call("since_last_looked", &NoArgs {}).await
}

/// Writes tenant `id`'s escalation bundle; where it went and what it holds.
pub async fn write_bundle(cluster: &str, id: &str) -> Result<BundleReport, UiError> {
    call("write_bundle", &TenantArgs { cluster, id }).await
}

/// Opens the folder of exported file `path` in the file manager.
pub async fn open_export_folder(path: &str) -> Result<(), UiError> {
    #[derive(Serialize)]
    struct Args<'a> {
        path: &'a str,
    }
    call("open_export_folder", &Args { path }).await
}

/// The audit log, newest first.
pub async fn audit_log() -> Result<Vec<AuditEntry>, UiError> {
    call("audit_log", &NoArgs {}).await
}

/// Writes the entries passing `filter` as CSV; returns the file's path.
pub async fn export_audit(filter: &AuditFilter) -> Result<String, UiError> {
    #[derive(Serialize)]
    struct Args<'a> {
        filter: &'a AuditFilter,
    }
    call("export_audit", &Args { filter }).await
}

/// The tenancy file as it is now.
pub async fn read_tenancy() -> Result<TenancyFile, UiError> {
    call("read_tenancy", &NoArgs {}).await
}

/// The rules text of the settings page.
#[derive(Serialize)]
struct TenancyArgs<'a> {
    text: &'a str,
}

/// What the rules in `text` would make of each watched cluster's namespaces.
pub async fn check_tenancy(text: &str) -> Result<Vec<TenancyMatch>, UiError> {
    call("check_tenancy", &TenancyArgs { text }).await
}

/// Saves `text` as the tenancy rules in force.
pub async fn save_tenancy(text: &str) -> Result<Vec<TenancyMatch>, UiError> {
    call("save_tenancy", &TenancyArgs { text }).await
}

/// A rollout's id as a command argument.
#[derive(Serialize)]
struct RolloutId {
    id: i64,
}

/// The view the window was closed on.
pub async fn last_view() -> Result<View, UiError> {
    call("last_view", &NoArgs {}).await
}

/// Notes the view the window shows now, for the next start.
pub async fn remember_view(view: View) -> Result<(), UiError> {
    #[derive(Serialize)]
    struct Args {
        view: View,
    }
    call("remember_view", &Args { view }).await
}

/// Plans `change` for the tenants `targets` (`(cluster, id)`), with its preview.
pub async fn plan_rollout(
    change: &FleetChange,
    targets: &[(String, String)],
    canary: &[(String, String)],
    settings: &RolloutSettings,
    reason: &str,
) -> Result<RolloutPlan, UiError> {
    #[derive(Serialize)]
    struct Args<'a> {
        change: &'a FleetChange,
        targets: &'a [(String, String)],
        canary: &'a [(String, String)],
        settings: &'a RolloutSettings,
        reason: &'a str,
    }
    call("plan_rollout", &Args { change, targets, canary, settings, reason }).await
}

/// Plans the roll back of rollout `id`'s converged tenants, with its preview.
pub async fn plan_roll_back_rollout(id: i64, reason: &str) -> Result<RolloutPlan, UiError> {
    #[derive(Serialize)]
    struct Args<'a> {
        id: i64,
        reason: &'a str,
    }
    call("plan_roll_back_rollout", &Args { id, reason }).await
}

/// Starts or resumes rollout `id` in the backend.
pub async fn start_rollout(id: i64) -> Result<(), UiError> {
    call("start_rollout", &RolloutId { id }).await
}

/// Rollout `id` with every tenant's state.
pub async fn rollout(id: i64) -> Result<Rollout, UiError> {
    call("rollout", &RolloutId { id }).await
}

/// What changed in rollout `id` since the window's generation `since` (everything without one).
pub async fn rollout_changes(id: i64, since: Option<u64>) -> Result<RolloutChanges, UiError> {
    #[derive(Serialize)]
    struct Args {
        id: i64,
        since: Option<u64>,
    }
    call("rollout_changes", &Args { id, since }).await
}

/// The latest rollouts, newest first, without their tenants.
pub async fn rollouts() -> Result<Vec<RolloutSummary>, UiError> {
    call("rollouts", &NoArgs {}).await
}

/// Pauses rollout `id` after the tenants in flight.
pub async fn pause_rollout(id: i64) -> Result<(), UiError> {
    call("pause_rollout", &RolloutId { id }).await
}

/// Aborts (or discards) rollout `id`.
pub async fn abort_rollout(id: i64) -> Result<(), UiError> {
    call("abort_rollout", &RolloutId { id }).await
}

/// Writes rollout `id`'s report as CSV; returns the file's path.
pub async fn export_rollout(id: i64) -> Result<String, UiError> {
    call("export_rollout", &RolloutId { id }).await
}
