//! How a context's credential stands, for the credentials board: the method in words, when it
//! expires (a plugin's `expirationTimestamp`, a JSON web token's `exp`, a client certificate's
//! end of validity), and whether a person must sign in.

use base64::Engine as _;
use kube::config::AuthInfo;
use secrecy::ExposeSecret as _;
use tenantry_model::{Credential, CredentialState, ErrorKind, UiError};

use super::{AuthKind, AuthMethod, ContextEntry};
use crate::credentials::{CredentialError, SlotState, jwt};

impl ContextEntry {
    /// The context's credential as the board shows it; reads no secret into the answer.
    pub fn credential(&self) -> Credential {
        let method = method(&self.auth);
        if let Some(slot) = self.credential_slot() {
            let (state, expires) = match slot.state() {
                SlotState::NotIssued => (CredentialState::NotIssued, None),
                SlotState::Issued { expires } => (CredentialState::Issued, expires),
                SlotState::Expired { expired } => (CredentialState::Expired, Some(expired)),
                SlotState::Failed(CredentialError::NeedsSignIn { .. }) => (CredentialState::NeedsSignIn, None),
                SlotState::Failed(error) => (CredentialState::Failed { error: failed(&error) }, None),
            };
            return Credential {
                method,
                expires: expires.map(|stamp| stamp.to_string()),
                state,
                can_sign_in: slot.can_sign_in(),
            };
        }
        let expires = self.resolved_user().and_then(written_expiry);
        let state = match expires {
            Some(expires) if expires <= jiff::Timestamp::now() => CredentialState::Expired,
            _ => CredentialState::Written,
        };
        Credential { method, expires: expires.map(|stamp| stamp.to_string()), state, can_sign_in: false }
    }
}

/// A failed credential for the board: the failure in a few words, and in full.
fn failed(error: &CredentialError) -> UiError {
    UiError { kind: ErrorKind::Unauthorized, message: error.headline().into(), detail: crate::error::chain(error) }
}

/// The methods of `auth` in words.
fn method(auth: &AuthKind) -> String {
    let AuthKind::Methods(methods) = auth else {
        return match auth {
            AuthKind::MissingUser => "user missing from the kubeconfig".into(),
            _ => "none (anonymous)".into(),
        };
    };
    let words: Vec<String> = methods
        .iter()
        .map(|method| match method {
            AuthMethod::Exec(_) => "exec plugin".to_owned(),
            AuthMethod::AuthProvider(name) if name == "oidc" => "OIDC".to_owned(),
            AuthMethod::AuthProvider(name) => format!("auth provider {name}"),
            AuthMethod::Token => "token".to_owned(),
            AuthMethod::TokenFile => "token file".to_owned(),
            AuthMethod::Basic => "username and password".to_owned(),
            AuthMethod::ClientCertData | AuthMethod::ClientCertFile => "client certificate".to_owned(),
            AuthMethod::KeyringToken => "token in the keyring".to_owned(),
        })
        .collect();
    words.join(" + ")
}

/// When a credential written in the user entry expires: a token's `exp` claim, else the end of
/// the client certificate's validity.
fn written_expiry(user: &AuthInfo) -> Option<jiff::Timestamp> {
    let token_expiry = user.token.as_ref().and_then(|token| jwt::expiry(token.expose_secret()));
    token_expiry.or_else(|| {
        let pem = match (&user.client_certificate_data, user.client_certificate.as_deref()) {
            (Some(data), _) => base64::engine::general_purpose::STANDARD.decode(data.trim()).ok()?,
            (None, Some(path)) if !path.is_empty() => std::fs::read(path).ok()?,
            _ => return None,
        };
        certificate_expiry(&pem)
    })
}

/// The end of validity of the first certificate in `pem`.
fn certificate_expiry(pem: &[u8]) -> Option<jiff::Timestamp> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem).ok()?;
    let certificate = pem.parse_x509().ok()?;
    jiff::Timestamp::from_second(certificate.validity().not_after.timestamp()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_told_as_what_failed_a_plugin_or_an_oidc_renewal() {
        let refused = CredentialError::OidcRefused {
            issuer: "https://dex.example".into(),
            code: "invalid_grant".into(),
            description: None,
        };
        let failed_oidc = failed(&refused);
        assert_eq!(failed_oidc.message, "sign in again with your OIDC login tool");
        assert!(failed_oidc.detail.contains("invalid_grant"), "{}", failed_oidc.detail);
        let timed_out = CredentialError::TimedOut { command: "aws".into(), after: std::time::Duration::from_secs(30) };
        assert_eq!(failed(&timed_out).message, "plugin gave no answer in time");
    }

    #[test]
    fn a_client_certificate_tells_when_it_ends() {
        let mut params = rcgen::CertificateParams::new(vec!["me".to_owned()]).expect("params");
        params.not_after = rcgen::date_time_ymd(2031, 5, 6);
        let key = rcgen::KeyPair::generate().expect("key");
        let certificate = params.self_signed(&key).expect("certificate");
        let expires = certificate_expiry(certificate.pem().as_bytes()).expect("an expiry");
        assert_eq!(expires.to_string(), "2031-05-06T00:00:00Z");
    }
}
