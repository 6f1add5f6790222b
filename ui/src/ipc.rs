//! The only place that talks to the Tauri backend (`window.__TAURI__.core`).

use tenantry_model::{ClusterEvent, ErrorKind, FleetEvent, TenantDetail, UiError};
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

/// Invokes `command` with a channel argument `onEvent` and hands every message, decoded, to
/// `on_event`. Resolves when the command returns.
async fn stream<T: serde::de::DeserializeOwned + 'static>(
    command: &str,
    on_event: impl Fn(Result<T, UiError>) + 'static,
) -> Result<(), UiError> {
    let channel = TauriChannel::new();
    let handler = Closure::<dyn Fn(JsValue)>::new(move |message: JsValue| {
        on_event(serde_wasm_bindgen::from_value(message).map_err(|err| UiError {
            kind: ErrorKind::Internal,
            message: "An update from the backend could not be read.".into(),
            detail: err.to_string(),
        }));
    });
    channel.set_onmessage(handler.as_ref().unchecked_ref());
    let args = js_sys::Object::new();
    js_sys::Reflect::set(&args, &"onEvent".into(), &channel).map_err(decode_error)?;
    // Channel messages may still be in flight when the command resolves, so the handler must
    // outlive this call: it is handed to the JS side for good (one small closure per stream).
    handler.forget();
    invoke(command, args.into()).await.map(drop).map_err(decode_error)
}

/// The cluster stream: the list, then probe results, then `Done`.
pub async fn watch_clusters(on_event: impl Fn(Result<ClusterEvent, UiError>) + 'static) -> Result<(), UiError> {
    stream("watch_clusters", on_event).await
}

/// The tenant stream: each cluster's tenants, then their changes, for as long as the window lives.
pub async fn watch_tenants(on_event: impl Fn(Result<FleetEvent, UiError>) + 'static) -> Result<(), UiError> {
    stream("watch_tenants", on_event).await
}

/// One tenant in detail, read from its cluster now.
pub async fn tenant_detail(cluster: &str, id: &str) -> Result<TenantDetail, UiError> {
    #[derive(serde::Serialize)]
    struct Args<'a> {
        cluster: &'a str,
        id: &'a str,
    }
    let args = serde_wasm_bindgen::to_value(&Args { cluster, id }).map_err(|err| UiError {
        kind: ErrorKind::Internal,
        message: "The request could not be prepared.".into(),
        detail: err.to_string(),
    })?;
    let answer = invoke("tenant_detail", args).await.map_err(decode_error)?;
    serde_wasm_bindgen::from_value(answer).map_err(|err| UiError {
        kind: ErrorKind::Internal,
        message: "The tenant's details could not be read.".into(),
        detail: err.to_string(),
    })
}
