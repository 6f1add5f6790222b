//! What the actions on one cluster share while they run: the client, the API resources found
//! by discovery, the permissions granted cluster-wide, and who the cluster says we are. A single
//! action gets a fresh session; a batch shares one, so each of these is looked up once.

use std::sync::Arc;

use tokio::sync::OnceCell;

use super::ActionError;
use super::objects::{Discovered, Resources};
use crate::access::{Permission, Reviews};
use crate::kubeconfig::ContextEntry;

/// One cluster's client and what was learnt through it.
pub struct Session {
    /// The client of the context.
    pub client: kube::Client,
    discovered: Discovered,
    reviews: Reviews,
    identity: OnceCell<String>,
}

impl Session {
    /// A session over `entry`'s cluster.
    pub async fn open(entry: &ContextEntry) -> Result<Self, ActionError> {
        let config = entry.client_config().await?;
        let client = kube::Client::try_from(config).map_err(ActionError::Client)?;
        Ok(Self {
            reviews: Reviews::new(client.clone()),
            client,
            discovered: Arc::default(),
            identity: OnceCell::new(),
        })
    }

    /// Object planning and writing over this session's client and discovery.
    pub fn resources(&self, take_over: bool) -> Resources {
        Resources::new(self.client.clone(), Arc::clone(&self.discovered), take_over)
    }

    /// The permissions of `wanted` the identity lacks.
    pub async fn missing(&self, wanted: &[Permission]) -> Result<Vec<Permission>, ActionError> {
        self.reviews
            .missing(wanted)
            .await
            .map_err(|source| ActionError::Cluster { what: "cannot check permissions".into(), source })
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
