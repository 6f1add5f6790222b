//! Secrets the app itself keeps — the tokens of clusters added without a kubeconfig — in the OS
//! keyring: the Secret Service where a desktop session offers one, the kernel's keyutils
//! otherwise. Nothing here ever writes a secret to a file, the cache or a log.

use std::fmt;
use std::sync::{Arc, OnceLock};

use keyring::Entry;
use keyring::credential::CredentialApi;
use keyring::keyutils::KeyutilsCredential;
use keyring::secret_service::SsCredential;
use linux_keyutils::{KeyRing, KeyRingIdentifier};
use secrecy::{ExposeSecret as _, SecretString};

/// The keyring service name every Tenantry entry is filed under.
pub const SERVICE: &str = "tenantry";

/// Which OS keyring holds the secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The desktop's Secret Service (GNOME Keyring, KWallet) over the session D-Bus.
    SecretService,
    /// The Linux kernel's key retention service (keyutils), the user's keyring: works without
    /// a desktop session; entries last while the user has processes, and never past a reboot.
    Keyutils,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SecretService => "Secret Service keyring",
            Self::Keyutils => "kernel keyring",
        })
    }
}

impl Backend {
    /// The Secret Service when the session bus has one that answers, else keyutils.
    fn detect() -> Self {
        let has_session_bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty());
        if !has_session_bus {
            return Self::Keyutils;
        }
        let probe =
            SsCredential::new_with_target(None, SERVICE, "probe").map(|c| Entry::new_with_credential(Box::new(c)));
        match probe.and_then(|entry| entry.get_password()) {
            Ok(_) | Err(keyring::Error::NoEntry) => Self::SecretService,
            Err(err) => {
                tracing::info!(error = %err, "no usable Secret Service on the session bus; using the kernel keyring");
                Self::Keyutils
            }
        }
    }
}

/// Why a secret could not be stored, read or removed.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The keyring holds no such entry (removed by hand, or a reboot cleared keyutils).
    #[error("the {backend} holds no {what}")]
    Missing {
        /// Which keyring was asked.
        backend: Backend,
        /// The entry, as people name it ("token for cluster eu-west").
        what: String,
    },
    /// The keyring refused or failed (locked, no access, not running).
    #[error("the {backend} could not be used for the {what}")]
    Store {
        /// Which keyring was asked.
        backend: Backend,
        /// The entry, as people name it.
        what: String,
        /// What the keyring reported.
        #[source]
        source: Arc<keyring::Error>,
    },
}

/// The OS keyring, as chosen once per process.
#[derive(Debug, Clone, Copy)]
pub struct Keyring {
    backend: Backend,
}

impl Keyring {
    /// The keyring of this session: detected on first use, then kept for the process.
    pub fn system() -> Self {
        static CHOSEN: OnceLock<Backend> = OnceLock::new();
        Self { backend: *CHOSEN.get_or_init(Backend::detect) }
    }

    /// Which keyring this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Stores (or replaces) the token of added cluster `cluster`.
    pub fn store_token(&self, cluster: &str, token: &SecretString) -> Result<(), SecretError> {
        self.store_entry(&format!("cluster/{cluster}"), token)
    }

    /// The token of added cluster `cluster`.
    pub fn token(&self, cluster: &str) -> Result<SecretString, SecretError> {
        self.entry(&format!("cluster/{cluster}"))
    }

    /// Removes the token of added cluster `cluster`; a token that is already gone is fine.
    pub fn forget_token(&self, cluster: &str) -> Result<(), SecretError> {
        self.forget_entry(&format!("cluster/{cluster}"))
    }

    /// Stores (or replaces) the secret of entry `account`.
    pub fn store_entry(&self, account: &str, secret: &SecretString) -> Result<(), SecretError> {
        self.with_credential(account, |c| c.set_password(secret.expose_secret()))
            .map_err(|source| self.store_error(account, source))
    }

    /// The secret of entry `account`.
    pub fn entry(&self, account: &str) -> Result<SecretString, SecretError> {
        match self.with_credential(account, |c| c.get_password()) {
            Ok(secret) => Ok(SecretString::from(secret)),
            Err(keyring::Error::NoEntry) => {
                Err(SecretError::Missing { backend: self.backend, what: describe(account) })
            }
            Err(source) => Err(self.store_error(account, source)),
        }
    }

    /// Removes entry `account`; one that is already gone is fine.
    pub fn forget_entry(&self, account: &str) -> Result<(), SecretError> {
        match self.with_credential(account, |c| c.delete_credential()) {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(source) => Err(self.store_error(account, source)),
        }
    }

    /// Runs `operation` on entry `account`.
    fn with_credential<T>(
        &self,
        account: &str,
        operation: impl Fn(&dyn CredentialApi) -> keyring::Result<T>,
    ) -> keyring::Result<T> {
        match self.backend {
            Backend::SecretService => operation(&SsCredential::new_with_target(None, SERVICE, account)?),
            Backend::Keyutils => operation(&user_keyring_credential(account)?),
        }
    }

    fn store_error(&self, account: &str, source: keyring::Error) -> SecretError {
        SecretError::Store { backend: self.backend, what: describe(account), source: Arc::new(source) }
    }
}

/// Entry `account` as people name it.
fn describe(account: &str) -> String {
    match account.split_once('/') {
        Some(("cluster", cluster)) => format!("token for cluster {cluster}"),
        Some(("pending-secret-config", _)) => "secret config values of an unfinished action".into(),
        _ => account.to_owned(),
    }
}

/// An entry in the user's kernel keyring, which every process of this user shares. keyring-rs's
/// own constructor uses the session keyring and, to link the persistent keyring into it, makes
/// a process without one (no PAM session, as under a service manager or in a container) a
/// private session keyring: the entry then dies with the process and later searches are denied.
fn user_keyring_credential(account: &str) -> keyring::Result<KeyutilsCredential> {
    let user = KeyRing::from_special_id(KeyRingIdentifier::User, true)
        .map_err(|err| keyring::Error::PlatformFailure(Box::new(err)))?;
    Ok(KeyutilsCredential { session: user, persistent: None, description: format!("{SERVICE}:{account}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_round_trips_through_the_kernel_keyring_and_is_forgotten() {
        let keyring = Keyring { backend: Backend::Keyutils };
        let cluster = format!("unit-{}", std::process::id());
        keyring.store_token(&cluster, &SecretString::from("s3cret-token")).expect("stores");
        assert_eq!(keyring.token(&cluster).expect("reads").expose_secret(), "s3cret-token");
        keyring.forget_token(&cluster).expect("forgets");
        assert!(matches!(keyring.token(&cluster), Err(SecretError::Missing { .. })));
        keyring.forget_token(&cluster).expect("forgetting twice is fine");
    }
}
