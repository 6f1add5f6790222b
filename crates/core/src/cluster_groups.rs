//! Groups of clusters the user names ("prod-eu", "staging"), kept in the config folder
//! (`cluster-groups.json`): the fleet is filtered by group, and a group is watched or unwatched
//! as a whole. A group is a name and its contexts; one without members is no group.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Longest group name, in characters.
pub const LONGEST_NAME: usize = 40;

/// Why a group was not changed.
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    /// The name is empty, too long, or has a character a filter or a path could trip on.
    #[error("\"{0}\" is not a group name: use 1 to 40 letters, digits, spaces, '-', '_' or '.'")]
    InvalidName(String),
    /// The groups file could not be written.
    #[error("the cluster groups could not be saved")]
    Save(#[source] std::io::Error),
}

impl GroupError {
    /// The error as the user sees it.
    pub fn to_ui(&self) -> tenantry_model::UiError {
        match self {
            GroupError::InvalidName(_) => crate::error::ui(tenantry_model::ErrorKind::Invalid, self.to_string(), self),
            GroupError::Save(_) => crate::error::ui(
                tenantry_model::ErrorKind::Internal,
                "The cluster groups could not be saved in the config folder.",
                self,
            ),
        }
    }
}

/// Every group, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClusterGroups(BTreeMap<String, BTreeSet<String>>);

impl ClusterGroups {
    /// The groups in `path`; none yet, or unreadable (logged), is no group.
    pub fn load(path: &Path) -> Self {
        crate::json_file::read(path, "the cluster groups").unwrap_or_default()
    }

    /// Writes the groups to `path`: to a sibling file first, then renamed over the old one.
    pub fn save(&self, path: &Path) -> Result<(), GroupError> {
        crate::json_file::write(path, self).map_err(GroupError::Save)
    }

    /// Makes `members` group `name`'s contexts (none: the group goes).
    pub fn set(&mut self, name: &str, members: &[String]) -> Result<(), GroupError> {
        let name = name.trim();
        let allowed = |c: char| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.');
        if name.is_empty() || name.chars().count() > LONGEST_NAME || !name.chars().all(allowed) {
            return Err(GroupError::InvalidName(name.to_owned()));
        }
        if members.is_empty() {
            self.0.remove(name);
        } else {
            self.0.insert(name.to_owned(), members.iter().cloned().collect());
        }
        Ok(())
    }

    /// The groups `context` is in, by name.
    pub fn of(&self, context: &str) -> Vec<String> {
        self.0.iter().filter(|(_, members)| members.contains(context)).map(|(name, _)| name.clone()).collect()
    }

    /// Group `name`'s contexts, if there is such a group.
    pub fn members(&self, name: &str) -> Option<&BTreeSet<String>> {
        self.0.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_named_kept_and_emptied_away() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config/cluster-groups.json");
        let mut groups = ClusterGroups::load(&path);
        groups.set("prod-eu", &["eu-1".into(), "eu-2".into()]).expect("named");
        groups.set("staging", &["eu-2".into()]).expect("named");
        assert_eq!(groups.of("eu-2"), ["prod-eu", "staging"]);
        groups.save(&path).expect("saved");
        let mut loaded = ClusterGroups::load(&path);
        assert_eq!(loaded, groups);
        loaded.set("staging", &[]).expect("emptied");
        assert_eq!(loaded.of("eu-2"), ["prod-eu"]);
        for bad in ["", "a/b", "x".repeat(41).as_str(), "<script>"] {
            assert!(matches!(loaded.set(bad, &["eu-1".into()]), Err(GroupError::InvalidName(_))), "{bad}");
        }
    }
}
