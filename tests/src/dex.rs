//! Dex, a real OpenID Connect issuer, on a loopback port with HTTPS and in-memory storage: one
//! user who signs in with a password (the OAuth password grant, as a login tool would) and one
//! confidential client, Tenantry's. Refresh tokens rotate and each is accepted once, so a client
//! that replays an old one is refused, as by a strict production issuer. A local cluster started
//! with [`Dex::apiserver_args`] accepts its id-tokens (user name: the e-mail address).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::Component;
use crate::{Error, Result};

/// The signing-in person's e-mail address, the user name the API server sees.
pub const EMAIL: &str = "ann@example.com";
/// The person's password (Dex's example hash below is of this word); a loopback-only fixture.
const PASSWORD: &str = "password";
/// bcrypt of [`PASSWORD`], as in Dex's own example configuration.
const PASSWORD_HASH: &str = "$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W";
/// The OAuth client the kubeconfig names.
pub const CLIENT_ID: &str = "tenantry";
/// How long Dex may take to serve its discovery document.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// A running Dex. Dropping it stops the process.
#[derive(Debug)]
pub struct Dex {
    /// The issuer URL, `https://127.0.0.1:<port>/dex`.
    pub issuer: String,
    /// Its certificate (self-signed), the CA the API server and the kubeconfig trust.
    pub ca_file: PathBuf,
    /// The client's secret.
    pub client_secret: String,
    /// The running issuer.
    process: Component,
}

/// Tokens a sign-in or a renewal brought.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// The id-token (a JWT the API server verifies).
    pub id_token: String,
    /// The refresh token.
    pub refresh_token: String,
}

impl Dex {
    /// Builds Dex once (`tests/cluster/build-dex.sh`, cached) and starts it in `dir`.
    pub async fn start(dir: &Path) -> Result<Self> {
        let binary = crate::binaries::build("build-dex.sh")?;
        std::fs::create_dir_all(dir).map_err(crate::error::io(format!("cannot create {}", dir.display())))?;
        let port = crate::ports::reserve(1)?[0];
        let certificate = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .map_err(Error::Key)?;
        let ca_file = dir.join("dex.crt");
        let key_file = dir.join("dex.key");
        write(&ca_file, &certificate.cert.pem())?;
        write(&key_file, &certificate.signing_key.serialize_pem())?;
        let client_secret = crate::cluster::random_token()?;
        let issuer = format!("https://127.0.0.1:{port}/dex");
        let config = dir.join("dex.yaml");
        write(
            &config,
            &format!(
                "issuer: {issuer}\n\
                 storage:\n  type: memory\n\
                 web:\n  https: 127.0.0.1:{port}\n  tlsCert: {cert}\n  tlsKey: {key}\n\
                 logger:\n  level: warn\n\
                 oauth2:\n  passwordConnector: local\n  skipApprovalScreen: true\n\
                 expiry:\n  idTokens: 10m\n  refreshTokens:\n    reuseInterval: 0s\n\
                 enablePasswordDB: true\n\
                 staticPasswords:\n- email: {EMAIL}\n  hash: \"{PASSWORD_HASH}\"\n  username: ann\n  emailVerified: true\n  userID: 5d0c7a8e-3b6f-4a62-9c1e-2f4d8b7a9e10\n\
                 staticClients:\n- id: {CLIENT_ID}\n  name: Tenantry\n  secret: {client_secret}\n  redirectURIs: ['http://127.0.0.1:8000/callback']\n",
                cert = ca_file.display(),
                key = key_file.display(),
            ),
        )?;
        let process = Component::start("dex", &binary, &["serve".to_owned(), config.display().to_string()], &[], dir)?;
        let dex = Self { issuer, ca_file, client_secret, process };
        dex.wait_ready().await?;
        Ok(dex)
    }

    /// The API server flags that make it accept this issuer's id-tokens for client `tenantry`.
    pub fn apiserver_args(&self) -> Vec<String> {
        vec![
            format!("--oidc-issuer-url={}", self.issuer),
            format!("--oidc-client-id={CLIENT_ID}"),
            format!("--oidc-ca-file={}", self.ca_file.display()),
            "--oidc-username-claim=email".to_owned(),
        ]
    }

    /// Signs the person in with the password grant (what `kubectl oidc-login` leaves in a
    /// kubeconfig): an id-token and a refresh token.
    pub fn sign_in(&self) -> Result<Tokens> {
        self.token(&[
            ("grant_type", "password"),
            ("username", EMAIL),
            ("password", PASSWORD),
            ("scope", "openid email offline_access"),
        ])
    }

    /// Freezes Dex (SIGSTOP): requests wait unanswered until [`Self::thaw`], so clients that
    /// start at different moments meet at the issuer.
    pub fn freeze(&self) {
        self.process.freeze();
    }

    /// Lets a frozen Dex answer again.
    pub fn thaw(&self) {
        self.process.thaw();
    }

    fn token(&self, form: &[(&str, &str)]) -> Result<Tokens> {
        let mut curl = self.curl();
        curl.args(["--user", &format!("{CLIENT_ID}:{}", self.client_secret)]);
        for (key, value) in form {
            curl.args(["--data-urlencode", &format!("{key}={value}")]);
        }
        let output =
            curl.arg(format!("{}/token", self.issuer)).output().map_err(crate::error::io("cannot run curl"))?;
        let answer: serde_json::Value = serde_json::from_slice(&output.stdout)
            .map_err(|source| Error::Encoding { what: "Dex's token answer".into(), source: source.into() })?;
        let field = |name: &str| answer[name].as_str().map(str::to_owned);
        match (field("id_token"), field("refresh_token")) {
            (Some(id_token), Some(refresh_token)) => Ok(Tokens { id_token, refresh_token }),
            _ => Err(Error::Issuer(format!("Dex granted no tokens ({})", field("error").unwrap_or_default()))),
        }
    }

    fn curl(&self) -> Command {
        let mut curl = Command::new("curl");
        curl.args(["--silent", "--show-error", "--max-time", "10", "--cacert"]).arg(&self.ca_file);
        curl
    }

    async fn wait_ready(&self) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let discovery = format!("{}/.well-known/openid-configuration", self.issuer);
        loop {
            let answered = self.curl().args(["--fail", "--output", "/dev/null"]).arg(&discovery).status();
            if answered.is_ok_and(|status| status.success()) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(Error::NotReady {
                    cluster: "oidc".into(),
                    component: "dex".into(),
                    seconds: READY_TIMEOUT.as_secs(),
                    log: self.process.log.clone(),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(crate::error::io(format!("cannot write {}", path.display())))
}
