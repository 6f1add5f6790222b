//! A client whose requests carry the credential a plugin or an OIDC issuer issued: a service in
//! front of kube's own client that adds the `Authorization` header from the [`Slot`] to every request,
//! and after a 401 drops that credential and sends the request once more with a fresh one.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderValue, Request, Response, StatusCode};
use kube::client::Body;
use secrecy::{ExposeSecret as _, SecretString};
use tower::BoxError;

use super::Slot;

/// A client for `config` whose requests authenticate with what `slot` issues (kube's own exec
/// and auth-provider support are taken out of `config`). The credential is asked for now, as a
/// plugin's client certificate goes into the connection's TLS settings.
pub async fn authorized(mut config: kube::Config, slot: Arc<Slot>) -> Result<kube::Client, ClientError> {
    config.auth_info.exec = None;
    config.auth_info.auth_provider = None;
    let issued = slot.credential().await?;
    if let Some((certificate, key)) = &issued.certificate {
        use base64::Engine as _;
        let encode = |pem: &SecretString| base64::engine::general_purpose::STANDARD.encode(pem.expose_secret());
        config.auth_info.client_certificate_data = Some(encode(certificate));
        config.auth_info.client_key_data = Some(encode(key).into());
    }
    let default_namespace = config.default_namespace.clone();
    let inner = kube::Client::try_from(config).map_err(|source| ClientError::Client(Arc::new(source)))?;
    Ok(kube::Client::new(Authorize { inner, slot }, default_namespace))
}

/// Why no authorized client was built.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    /// The plugin issued no credential.
    #[error(transparent)]
    Credential(#[from] super::CredentialError),
    /// kube could not build a client from the configuration.
    #[error("cannot build a client")]
    Client(#[source] Arc<kube::Error>),
}

/// The service that authorizes each request with the slot's credential.
#[derive(Clone)]
struct Authorize {
    inner: kube::Client,
    slot: Arc<Slot>,
}

impl tower::Service<Request<Body>> for Authorize {
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let again = copy(&request);
            let (response, sent) = this.send(request).await?;
            let Some((again, token)) = again.zip(sent).filter(|_| response.status() == StatusCode::UNAUTHORIZED) else {
                return Ok(response);
            };
            tracing::info!(issuer = %this.slot.describe(), "the server refused the credential; asking for a fresh one");
            this.slot.refused(&token).await;
            Ok(this.send(again).await?.0)
        })
    }
}

impl Authorize {
    /// Sends `request` with the slot's credential; also returns the token it carried.
    async fn send(&self, mut request: Request<Body>) -> Result<(Response<Body>, Option<SecretString>), BoxError> {
        let issued = self.slot.credential().await?;
        if let Some(token) = &issued.token {
            let mut value = HeaderValue::try_from(format!("Bearer {}", token.expose_secret()))
                .map_err(|_| BoxError::from("the credential plugin issued a token that is not a valid header value"))?;
            value.set_sensitive(true);
            request.headers_mut().insert(http::header::AUTHORIZATION, value);
        }
        Ok((self.inner.send(request).await?, issued.token))
    }
}

/// A copy of `request` to send again, when its body can be copied (every request but an upload stream).
fn copy(request: &Request<Body>) -> Option<Request<Body>> {
    let body = request.body().try_clone()?;
    let mut again = Request::new(body);
    *again.method_mut() = request.method().clone();
    *again.uri_mut() = request.uri().clone();
    *again.version_mut() = request.version();
    *again.headers_mut() = request.headers().clone();
    *again.extensions_mut() = request.extensions().clone();
    Some(again)
}
