//! One kind's complete listing, decoded while it arrives: the body is read in batches and each
//! item becomes a slim object as soon as its bytes are in, on a blocking thread, so a cluster's
//! megabytes of pod JSON are never held whole (kube's `Api::list` holds a body two to three
//! times over before decoding it), and the decoding thread wakes once a batch rather than once
//! a network read.

use http_body_util::BodyExt as _;
use kube::api::ListParams;
use kube::client::Body;
use kube::core::{Request, Status};
use serde::de::DeserializeOwned;

use super::list_body::{BodyDecoder, BodyError};
use super::store::{Keyed, Listed};

/// How many bytes of a listing's body are gathered before its decoding thread takes them.
const BATCH: usize = 64 * 1024;
/// How many gathered batches may wait for the decoding thread before reading pauses.
const BATCHES_AHEAD: usize = 1;

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
    /// The request failed, was refused, or its body could not be read.
    #[error(transparent)]
    Request(#[from] kube::Error),
    /// The body is not a list of the kind's objects, or ended early.
    #[error(transparent)]
    Body(#[from] BodyError),
    /// The list came without a resourceVersion, so its changes cannot be followed.
    #[error("the cluster sent a list without a resourceVersion")]
    NoResourceVersion,
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
    // When this future is dropped (its watch stopped), the batches' sender goes with it: the
    // decoding thread ends, and the connection closes instead of streaming on to nobody.
    let (batches, mut to_decode) = tokio::sync::mpsc::channel::<Vec<u8>>(BATCHES_AHEAD);
    let decoding = tokio::task::spawn_blocking(move || {
        let mut decoder = BodyDecoder::<K>::default();
        while let Some(batch) = to_decode.blocking_recv() {
            decoder.push(batch)?;
        }
        decoder.finish()
    });
    let mut body = response.into_body();
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|err| kube::Error::ReadEvents(std::io::Error::other(err)))?;
        if let Some(data) = frame.data_ref() {
            batch.extend_from_slice(data);
        }
        // A decoding thread that stopped (the body is not a list) says why below.
        if batch.len() >= BATCH && batches.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))).await.is_err()
        {
            break;
        }
    }
    if !batch.is_empty() {
        let _ = batches.send(batch).await;
    }
    drop(batches);
    let (items, resource_version) =
        decoding.await.map_err(|join| kube::Error::ReadEvents(std::io::Error::other(join)))??;
    let resource_version = resource_version.filter(|v| !v.is_empty()).ok_or(ListError::NoResourceVersion)?;
    Ok(Listing { items, resource_version })
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
}
