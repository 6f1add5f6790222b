//! Credentials issued by exec plugins and OIDC issuers, held once per process: Tenantry's own
//! provider in front of every client, instead of kube's built-in exec and OIDC support (no time
//! limit, no cache across clients, no second try after a 401, a plugin's output copied into its
//! errors, renewed OIDC tokens never written back).
//!
//! A plugin runs once per user entry (the same plugin, arguments and environment), and what it
//! issued serves every watch, probe and action of the process until it expires; a server that
//! refuses it makes one fresh run. A plugin with `interactiveMode: Always` never runs unattended:
//! a person starts it from the sign-in view ([`Slot::sign_in`]). An OIDC entry renews its
//! id-token the same way, through its refresh token ([`oidc`]).

mod client;
mod exec;
mod issuer_http;
pub(crate) mod jwt;
pub mod login_path;
mod oidc;
mod provider_file;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use kube::config::ExecConfig;
use secrecy::{ExposeSecret as _, SecretString};
use tokio::sync::mpsc;

pub use client::{ClientError, authorized};
pub use exec::Issued;

/// How long before its expiry a credential is renewed, so no request goes out with one about to lapse.
const RENEW_BEFORE: Duration = Duration::from_secs(10);
/// How long a failed run answers for the plugin before it runs again, so a broken plugin is not
/// started by every watch's retry.
const FAILURE_HOLD: Duration = Duration::from_secs(20);

/// Why a plugin issued no credential. None of these carries what the plugin printed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CredentialError {
    /// The plugin's command is not on the PATH searched: install it, or fix the kubeconfig.
    #[error(
        "the credential plugin \"{command}\" was not found on the PATH searched ({path}){}",
        hint_sentence(.install_hint)
    )]
    PluginNotFound {
        /// The kubeconfig's `command`.
        command: String,
        /// The PATH searched (the login shell's and the app's).
        path: String,
        /// The kubeconfig's `installHint`.
        install_hint: Option<String>,
    },
    /// The plugin could not be started or read.
    #[error("the credential plugin \"{command}\" could not be run")]
    Start {
        /// The kubeconfig's `command`.
        command: String,
        /// What the system reported.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The plugin did not finish in time and was stopped.
    #[error("the credential plugin \"{command}\" gave no answer within {} s and was stopped", .after.as_secs())]
    TimedOut {
        /// The kubeconfig's `command`.
        command: String,
        /// How long it was given.
        after: Duration,
    },
    /// The plugin exited with a failure; its messages are never kept (a person sees them live
    /// in the sign-in view).
    #[error(
        "the credential plugin \"{command}\" failed ({status}); its messages are not kept: sign in from the Clusters view to see them"
    )]
    Failed {
        /// The kubeconfig's `command`.
        command: String,
        /// How it exited.
        status: String,
    },
    /// The plugin printed something that is not a usable `ExecCredential`.
    #[error("the credential plugin \"{command}\" answered, but {why}")]
    BadOutput {
        /// The kubeconfig's `command`.
        command: String,
        /// What is wrong with the answer.
        why: &'static str,
    },
    /// The plugin needs a person (`interactiveMode: Always`) and nobody has signed in yet.
    #[error("the credential plugin \"{command}\" needs a person: sign in from the Clusters view")]
    NeedsSignIn {
        /// The kubeconfig's `command`.
        command: String,
    },
    /// The OIDC entry's id-token cannot serve and it holds no refresh token to renew it.
    #[error(
        "the OIDC id-token of user \"{user}\" has expired or was refused, and the kubeconfig holds no refresh-token to renew it: sign in again with your OIDC login tool"
    )]
    OidcNoRefreshToken {
        /// The kubeconfig's user entry.
        user: String,
    },
    /// The OIDC entry lacks what renewing its id-token needs.
    #[error("the OIDC entry of user \"{user}\" has no {field}, which renewing its id-token needs")]
    OidcIncomplete {
        /// The kubeconfig's user entry.
        user: String,
        /// The missing `config` key.
        field: &'static str,
    },
    /// The issuer could not be asked.
    #[error("the OIDC issuer {issuer} could not be asked for a new id-token: {why}")]
    OidcIssuer {
        /// The issuer URL.
        issuer: String,
        /// Why (a connection refused, an untrusted certificate, no discovery document).
        why: String,
    },
    /// The issuer refused the refresh token (revoked, expired, already used).
    #[error(
        "the OIDC issuer {issuer} refused to renew the id-token ({code}{}): sign in again with your OIDC login tool",
        .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
    )]
    OidcRefused {
        /// The issuer URL.
        issuer: String,
        /// The OAuth error code (`invalid_grant`), or the HTTP status.
        code: String,
        /// The issuer's description, when it gave one.
        description: Option<String>,
    },
    /// The issuer answered with something that is not a usable grant.
    #[error("the OIDC issuer {issuer} answered, but {why}")]
    OidcBadAnswer {
        /// The issuer URL.
        issuer: String,
        /// What is wrong with the answer.
        why: &'static str,
    },
}

impl CredentialError {
    /// The failure in a few words, for the credentials board and `tenantry clusters` (the
    /// whole sentence is the error's `Display`).
    pub fn headline(&self) -> &'static str {
        match self {
            Self::PluginNotFound { .. } => "plugin not installed",
            Self::Start { .. } => "plugin could not be run",
            Self::TimedOut { .. } => "plugin gave no answer in time",
            Self::Failed { .. } => "plugin failed",
            Self::BadOutput { .. } => "plugin's answer not usable",
            Self::NeedsSignIn { .. } => "sign in needed",
            Self::OidcNoRefreshToken { .. } | Self::OidcRefused { .. } => "sign in again with your OIDC login tool",
            Self::OidcIncomplete { .. } => "OIDC entry incomplete",
            Self::OidcIssuer { .. } => "OIDC issuer not reached",
            Self::OidcBadAnswer { .. } => "OIDC issuer's answer not usable",
        }
    }
}

fn hint_sentence(hint: &Option<String>) -> String {
    hint.as_deref().map(|hint| format!(". {}", hint.trim())).unwrap_or_default()
}

/// What a slot holds now, for the credentials board.
#[derive(Debug, Clone)]
pub enum SlotState {
    /// The plugin has not run in this process.
    NotIssued,
    /// A credential is held; `expires` when it says so.
    Issued {
        /// When it expires.
        expires: Option<jiff::Timestamp>,
    },
    /// The held credential has expired; the next request runs the plugin again.
    Expired {
        /// When it expired.
        expired: jiff::Timestamp,
    },
    /// The last run failed.
    Failed(CredentialError),
}

/// One user entry's credential source and the credential it issued.
pub struct Slot {
    source: Source,
    held: tokio::sync::Mutex<Held>,
    state: Mutex<SlotState>,
}

/// Where a slot's credential comes from.
enum Source {
    /// An exec plugin, with the `spec.cluster` it is given when it asks for cluster info.
    Exec { plugin: ExecConfig, cluster: Option<serde_json::Value> },
    /// An OIDC `auth-provider` entry.
    Oidc(oidc::OidcProvider),
}

#[derive(Default)]
struct Held {
    issued: Option<Issued>,
    failed: Option<(Instant, CredentialError)>,
    /// The last token a server refused, so it is not sent again.
    refused: Option<SecretString>,
}

/// The process's slots, keyed by the entry they serve.
static SLOTS: LazyLock<Mutex<HashMap<String, Arc<Slot>>>> = LazyLock::new(Mutex::default);

/// The slot of `plugin` (with the `cluster` a plugin asking for cluster info is given), shared
/// by every context naming the same entry.
pub fn slot(plugin: &ExecConfig, cluster: Option<serde_json::Value>) -> Arc<Slot> {
    let cluster = cluster.filter(|_| plugin.provide_cluster_info);
    let key = format!("{}\n{}", serde_json::to_string(plugin).unwrap_or_default(), cluster.clone().unwrap_or_default());
    shared(key, || (Source::Exec { plugin: plugin.clone(), cluster }, SlotState::NotIssued))
}

/// The slot of the OIDC entry of `user`, whose `config` the kubeconfig `file` holds; shared by
/// every context naming it, and kept when only its tokens change in the file.
pub fn oidc_slot(user: &str, config: &HashMap<String, String>, file: Option<PathBuf>) -> Arc<Slot> {
    let settings: BTreeMap<_, _> = config.iter().filter(|(key, _)| !OIDC_TOKENS.contains(&key.as_str())).collect();
    let key = format!("oidc\n{user}\n{file:?}\n{}", serde_json::to_string(&settings).unwrap_or_default());
    shared(key, || {
        let provider = oidc::OidcProvider::new(user, config, file);
        let state = provider.written_state();
        (Source::Oidc(provider), state)
    })
}

/// The keys of an OIDC entry's `config` that renewals change.
pub const OIDC_TOKENS: [&str; 2] = ["id-token", "refresh-token"];

/// The slot under `key`, made by `make` the first time.
fn shared(key: String, make: impl FnOnce() -> (Source, SlotState)) -> Arc<Slot> {
    let mut slots = SLOTS.lock().unwrap_or_else(PoisonError::into_inner);
    Arc::clone(slots.entry(key).or_insert_with(|| {
        let (source, state) = make();
        Arc::new(Slot { source, held: tokio::sync::Mutex::default(), state: Mutex::new(state) })
    }))
}

impl Slot {
    /// The credential to send now: the held one while it is valid, else a fresh one — one run
    /// of the plugin, or one OIDC renewal (callers arriving meanwhile wait for it instead of
    /// starting their own).
    pub async fn credential(&self) -> Result<Issued, CredentialError> {
        let mut held = self.held.lock().await;
        if let Some(issued) = held.issued.as_ref().filter(|issued| still_valid_until(issued.expires)) {
            return Ok(issued.clone());
        }
        if let Some((at, error)) = &held.failed
            && at.elapsed() < FAILURE_HOLD
        {
            return Err(error.clone());
        }
        let outcome = match &self.source {
            Source::Exec { plugin, .. } if exec::needs_a_person(plugin) => {
                let error = CredentialError::NeedsSignIn { command: self.describe() };
                self.set_state(SlotState::Failed(error.clone()));
                return Err(error);
            }
            Source::Exec { plugin, cluster } => exec::run(plugin, cluster.clone(), exec::Attendance::Unattended).await,
            Source::Oidc(provider) => provider.renew(held.refused.as_ref()).await,
        };
        self.keep(&mut held, outcome)
    }

    /// Drops `token` after the server refused it (401), unless a newer one replaced it already.
    pub async fn refused(&self, token: &SecretString) {
        let mut held = self.held.lock().await;
        let same = held
            .issued
            .as_ref()
            .and_then(|i| i.token.as_ref())
            .is_some_and(|held| held.expose_secret() == token.expose_secret());
        if same {
            held.issued = None;
            held.refused = Some(token.clone());
        }
    }

    /// Runs the plugin for a person watching: told it may interact, each line it writes to
    /// stderr (a device code, a URL) goes to `lines` and nowhere else, and it has 5 minutes. An
    /// OIDC entry has nothing to show: it renews as a request would.
    pub async fn sign_in(&self, lines: mpsc::UnboundedSender<String>) -> Result<(), CredentialError> {
        let mut held = self.held.lock().await;
        let outcome = match &self.source {
            Source::Exec { plugin, cluster } => {
                exec::run(plugin, cluster.clone(), exec::Attendance::SigningIn(lines)).await
            }
            Source::Oidc(provider) => provider.renew(held.refused.as_ref()).await,
        };
        self.keep(&mut held, outcome).map(drop)
    }

    /// What the slot holds now.
    pub fn state(&self) -> SlotState {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner).clone();
        match state {
            SlotState::Issued { expires: Some(expires) } if expires <= jiff::Timestamp::now() => {
                SlotState::Expired { expired: expires }
            }
            state => state,
        }
    }

    /// Whether a person can sign in through this slot: a plugin whose `interactiveMode` is not
    /// `Never` (an OIDC entry renews without a person, or needs a login tool Tenantry is not).
    pub fn can_sign_in(&self) -> bool {
        match &self.source {
            Source::Exec { plugin, .. } => exec::can_sign_in(plugin),
            Source::Oidc(_) => false,
        }
    }

    /// What issues the credential, for messages: the plugin's command as the kubeconfig names
    /// it, or the OIDC issuer.
    pub fn describe(&self) -> String {
        match &self.source {
            Source::Exec { plugin, .. } => plugin.command.clone().unwrap_or_default(),
            Source::Oidc(provider) => provider.describe(),
        }
    }

    fn keep(&self, held: &mut Held, outcome: Result<Issued, CredentialError>) -> Result<Issued, CredentialError> {
        match &outcome {
            Ok(issued) => {
                held.issued = Some(issued.clone());
                held.failed = None;
                held.refused = None;
                self.set_state(SlotState::Issued { expires: issued.expires });
            }
            Err(error) => {
                held.issued = None;
                held.failed = Some((Instant::now(), error.clone()));
                self.set_state(SlotState::Failed(error.clone()));
            }
        }
        outcome
    }

    fn set_state(&self, state: SlotState) {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner) = state;
    }
}

/// Whether a credential that `expires` then may still be sent (valid for longer than
/// [`RENEW_BEFORE`]; one without an expiry serves until a server refuses it).
fn still_valid_until(expires: Option<jiff::Timestamp>) -> bool {
    expires.is_none_or(|expires| jiff::Timestamp::now().checked_add(RENEW_BEFORE).is_ok_and(|soon| soon < expires))
}
