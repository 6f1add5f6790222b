//! The two requests an OIDC issuer is sent — its discovery document and its token endpoint — over
//! the HTTP and TLS stack kube's client already builds (hyper, rustls with ring), trusting the
//! kubeconfig's `idp-certificate-authority` when it names one and the system's roots otherwise.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use secrecy::{ExposeSecret as _, SecretString};

/// How long one request to the issuer may take, its answer included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// The most of an answer read: discovery documents and token answers are a few kilobytes.
const ANSWER_LIMIT: usize = 1 << 20;

/// Why a request to the issuer got no answer; never carries what was sent.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IssuerHttpError {
    /// The certificate authority given for the issuer holds no usable certificate.
    #[error("its certificate authority holds no usable PEM certificate")]
    CertificateAuthority,
    /// The URL is not one a request can go to.
    #[error("\"{0}\" is not an http or https URL")]
    Url(String),
    /// The connection or the request failed.
    #[error("the request failed: {0}")]
    Request(String),
    /// No answer came in time.
    #[error("no answer within {} s", REQUEST_TIMEOUT.as_secs())]
    TimedOut,
}

/// An answer: its status and its body.
pub struct Answer {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body, at most [`ANSWER_LIMIT`] bytes.
    pub body: Bytes,
}

/// A client for one issuer, trusting `ca_pem` (PEM certificates) or the system's roots.
pub struct IssuerClient {
    client: Client<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>, Full<Bytes>>,
}

impl IssuerClient {
    /// A client trusting the certificates of `ca_pem`, or the system's roots when `None`.
    pub fn new(ca_pem: Option<&[u8]>) -> Result<Self, IssuerHttpError> {
        let mut roots = rustls::RootCertStore::empty();
        match ca_pem {
            Some(pem) => {
                use rustls_pki_types::CertificateDer;
                use rustls_pki_types::pem::PemObject as _;
                for certificate in CertificateDer::pem_slice_iter(pem) {
                    let certificate = certificate.map_err(|_| IssuerHttpError::CertificateAuthority)?;
                    roots.add(certificate).map_err(|_| IssuerHttpError::CertificateAuthority)?;
                }
                if roots.is_empty() {
                    return Err(IssuerHttpError::CertificateAuthority);
                }
            }
            None => {
                let (added, _) = roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
                tracing::debug!(added, "system roots loaded for the OIDC issuer");
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| IssuerHttpError::Request(error.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector =
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls).https_or_http().enable_http1().build();
        Ok(Self { client: Client::builder(TokioExecutor::new()).build(connector) })
    }

    /// `GET url`, asking for JSON.
    pub async fn get(&self, url: &str) -> Result<Answer, IssuerHttpError> {
        let request = request(Method::GET, url)?.body(Full::default());
        self.send(request.map_err(|_| IssuerHttpError::Url(url.to_owned()))?).await
    }

    /// `POST url` with `form` as `application/x-www-form-urlencoded`, the client authenticating
    /// with HTTP Basic when `basic` (client id, secret) is given.
    pub async fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &SecretString)>,
    ) -> Result<Answer, IssuerHttpError> {
        let mut builder = request(Method::POST, url)?.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some((id, secret)) = basic {
            builder = builder.header(header::AUTHORIZATION, basic_authorization(id, secret));
        }
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let request = builder.body(Full::new(Bytes::from(body))).map_err(|_| IssuerHttpError::Url(url.to_owned()))?;
        self.send(request).await
    }

    async fn send(&self, request: Request<Full<Bytes>>) -> Result<Answer, IssuerHttpError> {
        let exchange = async {
            let response = self.client.request(request).await.map_err(|error| request_error(&error))?;
            let status = response.status();
            let body = Limited::new(response.into_body(), ANSWER_LIMIT)
                .collect()
                .await
                .map_err(|error| IssuerHttpError::Request(error.to_string()))?
                .to_bytes();
            Ok(Answer { status, body })
        };
        tokio::time::timeout(REQUEST_TIMEOUT, exchange).await.map_err(|_| IssuerHttpError::TimedOut)?
    }
}

/// A request builder for `url`, which must be an absolute http or https URL.
fn request(method: Method, url: &str) -> Result<http::request::Builder, IssuerHttpError> {
    let uri: http::Uri = url.parse().map_err(|_| IssuerHttpError::Url(url.to_owned()))?;
    if !matches!(uri.scheme_str(), Some("https" | "http")) || uri.host().is_none() {
        return Err(IssuerHttpError::Url(url.to_owned()));
    }
    Ok(Request::builder().method(method).uri(uri).header(header::ACCEPT, "application/json"))
}

/// RFC 6749 §2.3.1: the client id and secret, each form-encoded, as HTTP Basic credentials.
fn basic_authorization(id: &str, secret: &SecretString) -> http::HeaderValue {
    use base64::Engine as _;
    let encode = |part: &str| form_urlencoded::byte_serialize(part.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", encode(id), encode(secret.expose_secret()));
    let mut value =
        http::HeaderValue::try_from(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair)))
            .unwrap_or_else(|_| http::HeaderValue::from_static("Basic"));
    value.set_sensitive(true);
    value
}

/// A failed request in words: the innermost cause (a refused connection, a certificate the
/// roots do not trust) says the most.
fn request_error(error: &hyper_util::client::legacy::Error) -> IssuerHttpError {
    IssuerHttpError::Request(crate::error::chain(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_credentials_are_form_encoded_before_basic_encoding() {
        use base64::Engine as _;
        let value = basic_authorization("tenant:ry", &SecretString::from("s e/cret"));
        let encoded = value.to_str().expect("ascii").trim_start_matches("Basic ");
        let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).expect("base64");
        assert_eq!(String::from_utf8(decoded).expect("utf-8"), "tenant%3Ary:s+e%2Fcret");
        assert!(value.is_sensitive());
    }

    #[test]
    fn only_absolute_http_urls_are_asked() {
        for url in ["ftp://issuer/token", "/token", "https://"] {
            assert!(matches!(request(Method::GET, url), Err(IssuerHttpError::Url(_))), "{url}");
        }
        assert!(request(Method::GET, "https://issuer.example/dex/token").is_ok());
    }

    #[test]
    fn a_certificate_authority_without_certificates_is_refused() {
        assert!(matches!(IssuerClient::new(Some(b"not a certificate")), Err(IssuerHttpError::CertificateAuthority)));
    }
}
