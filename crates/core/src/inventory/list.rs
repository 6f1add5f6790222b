//! One kind's complete listing, decoded while it arrives: the body is read through a small
//! buffer and each item becomes a slim object as soon as its bytes are in, so a cluster's
//! megabytes of pod JSON are never held whole (kube's `Api::list` holds a body two to three
//! times over before decoding it).

use std::io::BufReader;

use http_body_util::BodyExt as _;
use kube::api::ListParams;
use kube::client::Body;
use kube::core::{Request, Status};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio_util::io::{StreamReader, SyncIoBridge};

use super::store::{Keyed, Listed};

/// How much of a listing's body is read ahead of its decoding.
const READ_AHEAD: usize = 64 * 1024;

/// A complete listing: the objects and the resourceVersion its watch goes on from.
pub struct Listing<K> {
    /// Every object listed.
    pub items: Listed<K>,
    /// The listing's resourceVersion.
    pub resource_version: String,
}

/// Why a listing failed.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// The request failed, was refused, or its body could not be read or decoded.
    #[error(transparent)]
    Request(#[from] kube::Error),
    /// The list came without a resourceVersion, so its changes cannot be followed.
    #[error("the cluster sent a list without a resourceVersion")]
    NoResourceVersion,
}

/// A list response's envelope.
#[derive(Deserialize)]
#[serde(bound = "K: Keyed + DeserializeOwned")]
struct ListBody<K> {
    metadata: ListMeta,
    items: Option<Listed<K>>,
}

/// The part of a list's metadata the watch needs.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListMeta {
    resource_version: Option<String>,
}

/// Lists the objects under `url_path` matching `params`, from the API server's watch cache.
pub async fn list<K>(client: &kube::Client, url_path: &str, params: &ListParams) -> Result<Listing<K>, ListError>
where
    K: Keyed + DeserializeOwned + Send + Sync + 'static,
{
    let mut request = Request::new(url_path).list(params).map_err(kube::Error::BuildRequest)?;
    // The connection that carried megabytes has grown its read buffer to the most hyper allows;
    // pooled, it would keep that buffer for the watch that reuses it. Closed, the watch opens a
    // connection of its own with a small one.
    request.headers_mut().insert(http::header::CONNECTION, http::HeaderValue::from_static("close"));
    let response = client.send(request.map(Body::from)).await?;
    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
        let body = response.into_body().collect().await?.to_bytes();
        return Err(api_error(status.as_u16(), &body).into());
    }
    // Reading stops when this future is dropped (its watch stopped): the blocking decode then
    // sees the body end, and the connection closes instead of streaming on to nobody.
    let (_keep_reading, stopped) = tokio::sync::oneshot::channel::<()>();
    let chunks = futures::StreamExt::take_until(response.into_body().into_data_stream(), stopped);
    let reader = StreamReader::new(futures::TryStreamExt::map_err(chunks, std::io::Error::other));
    let bridge = SyncIoBridge::new(reader);
    let decoded = tokio::task::spawn_blocking(move || {
        serde_json::from_reader::<_, ListBody<K>>(BufReader::with_capacity(READ_AHEAD, bridge))
    })
    .await
    .map_err(|join| kube::Error::ReadEvents(std::io::Error::other(join)))?;
    let body = decoded.map_err(|err| match err.io_error_kind() {
        Some(kind) => kube::Error::ReadEvents(std::io::Error::new(kind, err)),
        None => kube::Error::SerdeError(err),
    })?;
    let resource_version =
        body.metadata.resource_version.filter(|v| !v.is_empty()).ok_or(ListError::NoResourceVersion)?;
    Ok(Listing { items: body.items.unwrap_or_default(), resource_version })
}

/// The error an API server's refusal `body` with HTTP `code` stands for: its `Status` when it
/// sent one, else its text (a proxy's page, a path nobody serves).
fn api_error(code: u16, body: &[u8]) -> kube::Error {
    let status = serde_json::from_slice::<Status>(body).unwrap_or_else(|_| {
        let text = String::from_utf8_lossy(body);
        Status::failure(text.trim(), "Failed to parse error data").with_code(code)
    });
    kube::Error::Api(Box::new(status))
}

/// Whether `status` says the resourceVersion a watch went on from is too old (HTTP 410 Gone).
pub fn is_expired(status: &Status) -> bool {
    status.code == 410
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_keeps_the_servers_status_or_its_text() {
        let status = br#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods is forbidden","reason":"Forbidden","code":403}"#;
        let kube::Error::Api(status) = api_error(403, status) else { panic!("an API error") };
        assert_eq!((status.code, status.reason.as_str()), (403, "Forbidden"));
        let kube::Error::Api(page) = api_error(502, b"  bad gateway\n") else { panic!("an API error") };
        assert_eq!((page.code, page.message.as_str()), (502, "bad gateway"));
    }

    #[test]
    fn a_list_body_decodes_its_items_and_resource_version_in_any_order() {
        let body = br#"{"items":[{"metadata":{"name":"a","namespace":"x"}},{"metadata":{"name":"b","namespace":"x"}}],
                        "kind":"DeploymentList","metadata":{"resourceVersion":"77"}}"#;
        let list: ListBody<super::super::objects::WatchedDeployment> =
            serde_json::from_reader(&body[..]).expect("decodes");
        assert_eq!(list.metadata.resource_version.as_deref(), Some("77"));
        let (store, writer) = super::super::store::store();
        writer.replace(list.items.expect("items"));
        let mut names: Vec<_> = store.state().iter().map(|m| m.metadata.name.clone()).collect();
        names.sort();
        assert_eq!(names, ["a", "b"]);
    }
}
