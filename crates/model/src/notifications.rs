//! Which tenants the desktop notifications speak about, as the user set it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// The notification settings: on or off as a whole, muted clusters, and tenants muted or
/// watched one by one (`CLUSTER/ID`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSettings {
    /// Whether desktop notifications are sent at all.
    #[serde(default = "on")]
    pub enabled: bool,
    /// Clusters whose tenants are not notified about (unless watched one by one).
    #[serde(default)]
    pub muted_clusters: BTreeSet<String>,
    /// Tenants never notified about.
    #[serde(default)]
    pub muted_tenants: BTreeSet<String>,
    /// Tenants always notified about ("watch this tenant"), even on a muted cluster.
    #[serde(default)]
    pub watched_tenants: BTreeSet<String>,
}

fn on() -> bool {
    true
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            muted_clusters: BTreeSet::new(),
            muted_tenants: BTreeSet::new(),
            watched_tenants: BTreeSet::new(),
        }
    }
}

/// How one tenant is notified about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantNotice {
    /// As its cluster is.
    AsCluster,
    /// Always ("watch this tenant").
    Watched,
    /// Never.
    Muted,
}

impl NotificationSettings {
    /// Whether a change of tenant `id` on `cluster` is notified.
    pub fn speaks_of(&self, cluster: &str, id: &str) -> bool {
        if !self.enabled {
            return false;
        }
        match self.tenant(cluster, id) {
            TenantNotice::Watched => true,
            TenantNotice::Muted => false,
            TenantNotice::AsCluster => !self.muted_clusters.contains(cluster),
        }
    }

    /// Whether a cluster's connection is notified about (it is not muted).
    pub fn speaks_of_cluster(&self, cluster: &str) -> bool {
        self.enabled && !self.muted_clusters.contains(cluster)
    }

    /// How tenant `id` on `cluster` is set.
    pub fn tenant(&self, cluster: &str, id: &str) -> TenantNotice {
        let key = format!("{cluster}/{id}");
        if self.watched_tenants.contains(&key) {
            TenantNotice::Watched
        } else if self.muted_tenants.contains(&key) {
            TenantNotice::Muted
        } else {
            TenantNotice::AsCluster
        }
    }

    /// Sets how tenant `id` on `cluster` is notified about.
    pub fn set_tenant(&mut self, cluster: &str, id: &str, notice: TenantNotice) {
        let key = format!("{cluster}/{id}");
        self.watched_tenants.remove(&key);
        self.muted_tenants.remove(&key);
        match notice {
            TenantNotice::Watched => self.watched_tenants.insert(key),
            TenantNotice::Muted => self.muted_tenants.insert(key),
            TenantNotice::AsCluster => false,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watched_tenant_speaks_on_a_muted_cluster_and_a_muted_one_never() {
        let mut settings = NotificationSettings::default();
        assert!(settings.speaks_of("eu", "shop"));
        settings.muted_clusters.insert("eu".into());
        assert!(!settings.speaks_of("eu", "shop"));
        settings.set_tenant("eu", "shop", TenantNotice::Watched);
        assert!(settings.speaks_of("eu", "shop"));
        settings.set_tenant("us", "cafe", TenantNotice::Muted);
        assert!(!settings.speaks_of("us", "cafe"));
        assert!(settings.speaks_of("us", "bakery"));
        settings.enabled = false;
        assert!(!settings.speaks_of("eu", "shop"));
        assert_eq!(
            serde_json::from_str::<NotificationSettings>("{}").expect("defaults"),
            NotificationSettings::default()
        );
    }
}
