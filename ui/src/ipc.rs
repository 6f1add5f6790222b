//! The only place that talks to the Tauri backend (`window.__TAURI__.core`).

use tenantry_model::{ClusterEvent, ErrorKind, UiError};
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

/// Starts the cluster stream: `on_event` receives the list, then probe results, then `Done`.
/// Resolves when the backend has sent everything, or with the backend's error.
pub async fn watch_clusters(on_event: impl Fn(Result<ClusterEvent, UiError>) + 'static) -> Result<(), UiError> {
    let channel = TauriChannel::new();
    let handler = Closure::<dyn Fn(JsValue)>::new(move |message: JsValue| {
        on_event(serde_wasm_bindgen::from_value(message).map_err(|err| UiError {
            kind: ErrorKind::Internal,
            message: "A cluster update could not be read.".into(),
            detail: err.to_string(),
        }));
    });
    channel.set_onmessage(handler.as_ref().unchecked_ref());
    let args = js_sys::Object::new();
    js_sys::Reflect::set(&args, &"onEvent".into(), &channel).map_err(decode_error)?;
    // Channel messages may still be in flight when the command resolves, so the handler must
    // outlive this call: it is handed to the JS side for good (one small closure per refresh).
    handler.forget();
    invoke("watch_clusters", args.into()).await.map(drop).map_err(decode_error)
}
