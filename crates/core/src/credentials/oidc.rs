//! OIDC `auth-provider` user entries the way kubectl keeps them: the entry's `id-token` is sent
//! while it is valid; one that has expired, or that a server refused, is renewed with the
//! `refresh-token` at the issuer's token endpoint (found through its discovery document), and
//! both new tokens are written back to the kubeconfig file that holds the entry, so kubectl and
//! the next start use them. The file is read again under kubectl's lock before each renewal:
//! another process that renewed meanwhile (kubectl, a second Tenantry) is followed, not raced —
//! an issuer that rotates refresh tokens accepts each one once.

use std::collections::HashMap;
use std::path::PathBuf;

use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use tokio::sync::OnceCell;

use super::issuer_http::IssuerClient;
use super::provider_file::{self, ProviderTokens};
use super::{CredentialError, Issued, still_valid_until};

/// One OIDC user entry: its issuer and client, and where its tokens are written.
pub struct OidcProvider {
    user: String,
    issuer: Option<String>,
    client_id: Option<String>,
    client_secret: Option<SecretString>,
    ca_pem: Result<Option<Vec<u8>>, String>,
    file: Option<PathBuf>,
    written: ProviderTokens,
    token_endpoint: OnceCell<String>,
}

impl OidcProvider {
    /// The provider of `user`'s entry, with its `config` as the kubeconfig wrote it in `file`.
    pub fn new(user: &str, config: &HashMap<String, String>, file: Option<PathBuf>) -> Self {
        let value = |key: &str| config.get(key).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let ca_pem = match (value("idp-certificate-authority-data"), value("idp-certificate-authority")) {
            (Some(data), _) => {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .map(Some)
                    .map_err(|_| "idp-certificate-authority-data is not base64".to_owned())
            }
            (None, Some(path)) => {
                std::fs::read(&path).map(Some).map_err(|error| format!("cannot read {path}: {error}"))
            }
            (None, None) => Ok(None),
        };
        Self {
            user: user.to_owned(),
            issuer: value("idp-issuer-url").map(|url| url.trim_end_matches('/').to_owned()),
            client_id: value("client-id"),
            client_secret: value("client-secret").map(SecretString::from),
            ca_pem,
            file,
            written: ProviderTokens {
                id_token: value("id-token").map(SecretString::from),
                refresh_token: value("refresh-token").map(SecretString::from),
            },
            token_endpoint: OnceCell::new(),
        }
    }

    /// What the entry is, for messages: its issuer.
    pub fn describe(&self) -> String {
        format!("OIDC issuer {}", self.issuer.as_deref().unwrap_or("(none named)"))
    }

    /// How the id-token the kubeconfig held when the entry was loaded stands: issued (until
    /// its `exp`, when it names one), or not issued when the entry holds none.
    pub fn written_state(&self) -> super::SlotState {
        match &self.written.id_token {
            Some(token) => super::SlotState::Issued { expires: super::jwt::expiry(token.expose_secret()) },
            None => super::SlotState::NotIssued,
        }
    }

    /// A valid id-token: the file's (read again now, under kubectl's lock) unless it has expired
    /// or is the one a server just `refused`, else a renewed one, written back to the file.
    pub async fn renew(&self, refused: Option<&SecretString>) -> Result<Issued, CredentialError> {
        let _lock = match &self.file {
            Some(file) => provider_file::lock(file).await,
            None => None,
        };
        let tokens = self.current_tokens();
        let usable = tokens.id_token.clone().filter(|token| {
            let refused = refused.is_some_and(|refused| refused.expose_secret() == token.expose_secret());
            !refused && still_valid_until(super::jwt::expiry(token.expose_secret()))
        });
        if let Some(token) = usable {
            return Ok(issued(token));
        }
        let refresh_token = tokens
            .refresh_token
            .clone()
            .ok_or_else(|| CredentialError::OidcNoRefreshToken { user: self.user.clone() })?;
        let renewed = self.refresh(&refresh_token).await?;
        crate::redact::remember(renewed.id_token.expose_secret());
        let refresh_token = renewed.refresh_token.unwrap_or(refresh_token);
        crate::redact::remember(refresh_token.expose_secret());
        let tokens = ProviderTokens { id_token: Some(renewed.id_token.clone()), refresh_token: Some(refresh_token) };
        if let Some(file) = &self.file
            && let Err(error) = provider_file::write(file, &self.user, &tokens)
        {
            // The renewed token still serves this process; the next start signs in again.
            tracing::warn!(user = %self.user, error = %crate::error::chain(&error), "the renewed OIDC tokens could not be written back to the kubeconfig");
        }
        Ok(issued(renewed.id_token))
    }

    /// The tokens in the file now, or those loaded with the entry when it cannot be read.
    fn current_tokens(&self) -> ProviderTokens {
        let Some(file) = &self.file else { return self.written.clone() };
        match provider_file::read(file, &self.user) {
            Ok(tokens) => {
                for token in [&tokens.id_token, &tokens.refresh_token].into_iter().flatten() {
                    crate::redact::remember(token.expose_secret());
                }
                tokens
            }
            Err(error) => {
                tracing::warn!(user = %self.user, error = %crate::error::chain(&error), "reading the OIDC tokens again failed; using those loaded");
                self.written.clone()
            }
        }
    }

    /// Asks the issuer's token endpoint for a new id-token with `refresh_token`.
    async fn refresh(&self, refresh_token: &SecretString) -> Result<Renewed, CredentialError> {
        let incomplete = |field| CredentialError::OidcIncomplete { user: self.user.clone(), field };
        let issuer = self.issuer.clone().ok_or_else(|| incomplete("idp-issuer-url"))?;
        let client_id = self.client_id.clone().ok_or_else(|| incomplete("client-id"))?;
        let unreachable = |why: String| CredentialError::OidcIssuer { issuer: issuer.clone(), why };
        let ca_pem = self.ca_pem.clone().map_err(unreachable)?;
        let client = IssuerClient::new(ca_pem.as_deref()).map_err(|error| unreachable(error.to_string()))?;
        let endpoint = self.token_endpoint.get_or_try_init(|| discover(&client, &issuer)).await.map_err(unreachable)?;
        let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token.expose_secret())];
        let basic = match &self.client_secret {
            Some(secret) => Some((client_id.as_str(), secret)),
            None => {
                form.push(("client_id", client_id.as_str()));
                None
            }
        };
        let answer = client.post_form(endpoint, &form, basic).await.map_err(|error| unreachable(error.to_string()))?;
        if !answer.status.is_success() {
            let refusal: Refusal = serde_json::from_slice(&answer.body).unwrap_or_default();
            return Err(CredentialError::OidcRefused {
                issuer,
                code: refusal.error.unwrap_or_else(|| answer.status.to_string()),
                description: refusal.error_description.filter(|d| !d.trim().is_empty()),
            });
        }
        let bad = |why| CredentialError::OidcBadAnswer { issuer: issuer.clone(), why };
        let granted: Granted = serde_json::from_slice(&answer.body).map_err(|_| bad("its answer is not JSON"))?;
        let id_token = granted.id_token.filter(|t| !t.is_empty()).ok_or_else(|| bad("its answer holds no id_token"))?;
        Ok(Renewed {
            id_token: SecretString::from(id_token),
            refresh_token: granted.refresh_token.filter(|t| !t.is_empty()).map(SecretString::from),
        })
    }
}

/// The token endpoint the issuer's discovery document names.
async fn discover(client: &IssuerClient, issuer: &str) -> Result<String, String> {
    #[derive(Deserialize)]
    struct Discovery {
        token_endpoint: Option<String>,
    }
    let url = format!("{issuer}/.well-known/openid-configuration");
    let answer =
        client.get(&url).await.map_err(|error| format!("its discovery document could not be fetched: {error}"))?;
    if !answer.status.is_success() {
        return Err(format!("it has no discovery document at {url} ({})", answer.status));
    }
    let discovery: Discovery =
        serde_json::from_slice(&answer.body).map_err(|_| "its discovery document is not JSON".to_owned())?;
    discovery
        .token_endpoint
        .filter(|e| !e.is_empty())
        .ok_or_else(|| "its discovery document names no token_endpoint".to_owned())
}

/// A token endpoint's refusal (RFC 6749 §5.2).
#[derive(Deserialize, Default)]
struct Refusal {
    error: Option<String>,
    error_description: Option<String>,
}

/// A token endpoint's grant.
#[derive(Deserialize)]
struct Granted {
    id_token: Option<String>,
    refresh_token: Option<String>,
}

/// What a renewal brought.
struct Renewed {
    id_token: SecretString,
    refresh_token: Option<SecretString>,
}

fn issued(id_token: SecretString) -> Issued {
    let expires = super::jwt::expiry(id_token.expose_secret());
    Issued { token: Some(id_token), certificate: None, expires }
}
