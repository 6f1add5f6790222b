//! Credentials issued by exec plugins, held once per process: Tenantry's own provider in front
//! of every client, instead of kube's built-in exec support (which has no time limit, no cache
//! across clients, no second try after a 401, and copies a plugin's output into its errors).
//!
//! A plugin runs once per user entry (the same plugin, arguments and environment), and what it
//! issued serves every watch, probe and action of the process until it expires; a server that
//! refuses it makes one fresh run. A plugin with `interactiveMode: Always` never runs unattended:
//! a person starts it from the sign-in view ([`Slot::sign_in`]).

mod client;
mod exec;
pub mod login_path;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use kube::config::ExecConfig;
use secrecy::{ExposeSecret as _, SecretString};
use tokio::sync::mpsc;

pub use client::{ClientError, authorized};
pub use exec::{Issued, SIGN_IN_TIMEOUT, UNATTENDED_TIMEOUT};

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

/// One user entry's plugin and the credential it issued.
pub struct Slot {
    plugin: ExecConfig,
    cluster: Option<serde_json::Value>,
    held: tokio::sync::Mutex<Held>,
    state: Mutex<SlotState>,
}

#[derive(Default)]
struct Held {
    issued: Option<Issued>,
    failed: Option<(Instant, CredentialError)>,
}

/// The process's slots, keyed by the plugin entry they run.
static SLOTS: LazyLock<Mutex<HashMap<String, Arc<Slot>>>> = LazyLock::new(Mutex::default);

/// The slot of `plugin` (with the `cluster` a plugin asking for cluster info is given), shared
/// by every context naming the same entry.
pub fn slot(plugin: &ExecConfig, cluster: Option<serde_json::Value>) -> Arc<Slot> {
    let cluster = cluster.filter(|_| plugin.provide_cluster_info);
    let key = format!("{}\n{}", serde_json::to_string(plugin).unwrap_or_default(), cluster.clone().unwrap_or_default());
    let mut slots = SLOTS.lock().unwrap_or_else(PoisonError::into_inner);
    Arc::clone(slots.entry(key).or_insert_with(|| {
        Arc::new(Slot {
            plugin: plugin.clone(),
            cluster,
            held: tokio::sync::Mutex::default(),
            state: Mutex::new(SlotState::NotIssued),
        })
    }))
}

impl Slot {
    /// The credential to send now: the held one while it is valid, else one fresh run of the
    /// plugin (callers arriving meanwhile wait for that run instead of starting their own).
    pub async fn credential(&self) -> Result<Issued, CredentialError> {
        let mut held = self.held.lock().await;
        if let Some(issued) = held.issued.as_ref().filter(|issued| still_valid(issued)) {
            return Ok(issued.clone());
        }
        if let Some((at, error)) = &held.failed
            && at.elapsed() < FAILURE_HOLD
        {
            return Err(error.clone());
        }
        if exec::needs_a_person(&self.plugin) {
            let error = CredentialError::NeedsSignIn { command: self.command() };
            self.set_state(SlotState::Failed(error.clone()));
            return Err(error);
        }
        let outcome = exec::run(&self.plugin, self.cluster.clone(), exec::Attendance::Unattended).await;
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
        }
    }

    /// Runs the plugin for a person watching: told it may interact, each line it writes to
    /// stderr (a device code, a URL) goes to `lines` and nowhere else, and it has 5 minutes.
    pub async fn sign_in(&self, lines: mpsc::UnboundedSender<String>) -> Result<(), CredentialError> {
        let mut held = self.held.lock().await;
        let outcome = exec::run(&self.plugin, self.cluster.clone(), exec::Attendance::SigningIn(lines)).await;
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

    /// Whether a person can sign in through this plugin (`interactiveMode` is not `Never`).
    pub fn can_sign_in(&self) -> bool {
        exec::can_sign_in(&self.plugin)
    }

    /// The plugin's command, as the kubeconfig names it.
    pub fn command(&self) -> String {
        self.plugin.command.clone().unwrap_or_default()
    }

    fn keep(&self, held: &mut Held, outcome: Result<Issued, CredentialError>) -> Result<Issued, CredentialError> {
        match &outcome {
            Ok(issued) => {
                held.issued = Some(issued.clone());
                held.failed = None;
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

/// Whether `issued` may still be sent (valid for longer than [`RENEW_BEFORE`]).
fn still_valid(issued: &Issued) -> bool {
    issued
        .expires
        .is_none_or(|expires| jiff::Timestamp::now().checked_add(RENEW_BEFORE).is_ok_and(|soon| soon < expires))
}
