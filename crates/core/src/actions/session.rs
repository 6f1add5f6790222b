//! What the actions on one cluster share while they run: the client, the API resources found
//! by discovery, the permissions granted cluster-wide, and who the cluster says we are. A single
//! action gets a fresh session; a batch shares one, so each of these is looked up once, and a
//! batch's session also mirrors Tenantry's objects through watches (see [`Mirror`]).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OnceCell;

use super::ActionError;
use super::mirror::Mirror;
use super::objects::{Discovered, Resources};
use super::owners::ControllersOfRecord;
use crate::access::{Permission, Reviews};
use crate::kubeconfig::ContextEntry;

/// How long any one request of an action may wait for the server's answer, so no request holds
/// an action forever. Longer than the heartbeat needs to notice a frozen server (so that case
/// reads "the cluster stopped answering"); watches ask the server to close them sooner.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(25);
/// How long the server keeps an action's watch open before closing it (under the deadline).
pub const WATCH_SECONDS: u32 = 20;

/// One cluster's client and what was learnt through it.
pub struct Session {
    /// The client of the context.
    pub client: kube::Client,
    discovered: Discovered,
    reviews: Arc<Reviews>,
    identity: OnceCell<String>,
    mirror: Option<Arc<Mirror>>,
}

impl Session {
    /// A session for one action over `entry`'s cluster.
    pub async fn open(entry: &ContextEntry) -> Result<Self, ActionError> {
        let client = entry
            .client_tuned(|config| {
                config.read_timeout = Some(REQUEST_DEADLINE);
                config.reset_reader_on_write = true;
            })
            .await?;
        Ok(Self {
            reviews: Arc::new(Reviews::new(client.clone())),
            client,
            discovered: Arc::default(),
            identity: OnceCell::new(),
            mirror: None,
        })
    }

    /// A session for a batch of actions over `entry`'s cluster, mirroring Tenantry's objects.
    pub async fn open_batch(entry: &ContextEntry) -> Result<Self, ActionError> {
        let session = Self::open(entry).await?;
        let mirror = Mirror::new(session.client.clone(), Arc::clone(&session.reviews));
        Ok(Self { mirror: Some(Arc::new(mirror)), ..session })
    }

    /// Object planning and writing over this session's client and discovery; fields of
    /// `controllers` are a conflict unless `take_over`.
    pub fn resources(&self, controllers: ControllersOfRecord, take_over: bool) -> Resources {
        Resources::new(self.client.clone(), Arc::clone(&self.discovered), controllers, take_over)
    }

    /// The batch's mirror of Tenantry's objects (none for a single action).
    pub fn mirror(&self) -> Option<&Mirror> {
        self.mirror.as_deref()
    }

    /// The permissions of `wanted` the identity lacks.
    pub async fn missing(&self, wanted: &[Permission]) -> Result<Vec<Permission>, ActionError> {
        self.reviews
            .missing(wanted)
            .await
            .map_err(|source| ActionError::Cluster { what: "cannot check permissions".into(), source })
    }

    /// Refuses, naming what is missing, unless the identity has every permission of `wanted`.
    pub async fn require(&self, wanted: &[Permission]) -> Result<(), ActionError> {
        let missing = self.missing(wanted).await?;
        if missing.is_empty() { Ok(()) } else { Err(ActionError::Forbidden { missing }) }
    }

    /// The user name the cluster knows us as, or `(unknown)`.
    pub async fn identity(&self) -> String {
        self.identity
            .get_or_init(|| async {
                crate::cluster::identity(&self.client).await.ok().flatten().unwrap_or_else(|| "(unknown)".to_owned())
            })
            .await
            .clone()
    }
}
