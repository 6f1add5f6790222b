//! Which clusters the fleet watches, as the user chose in the Clusters view, kept in the config
//! folder (`watched-clusters.json`). A large kubeconfig is never connected to as a whole: a
//! context nobody chose is listed, never probed, and no plugin of it runs.
//!
//! The choice records what the user said, context by context; a context they never chose either
//! way follows the default — watched when the kubeconfig has at most [`WATCH_ALL_UP_TO`]
//! contexts, else only the current context. Several contexts can reach one API server (an admin
//! and a help-desk identity): the fleet watches through one of them, the one chosen last.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::kubeconfig::ContextEntry;

/// A kubeconfig with at most this many contexts has all of them watched unless told otherwise.
pub const WATCH_ALL_UP_TO: usize = 20;

/// The user's choices, context by context.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchChoice {
    /// Contexts the user turned on, the latest last.
    #[serde(default)]
    watched: Vec<String>,
    /// Contexts the user turned off.
    #[serde(default)]
    unwatched: BTreeSet<String>,
}

impl WatchChoice {
    /// The choice in `path`; none yet, or unreadable (logged), is no choice at all.
    pub fn load(path: &Path) -> Self {
        crate::json_file::read(path, "the watched clusters").unwrap_or_default()
    }

    /// Writes the choice to `path`: to a sibling file first, then renamed over the old one.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        crate::json_file::write(path, self)
    }

    /// Turns `contexts` on or off. A context turned on becomes the one its API server is
    /// watched through: the other contexts of `entries` on the same server are turned off. A
    /// context turned off takes its server's contexts that were on only by default with it (a
    /// help-desk identity does not quietly take over a cluster the user stopped watching).
    pub fn set(&mut self, entries: &[ContextEntry], contexts: &[String], watch: bool) {
        for context in contexts {
            self.watched.retain(|c| c != context);
            self.unwatched.remove(context);
            let server = entries.iter().find(|e| &e.name == context).and_then(|e| e.server.clone());
            let siblings: Vec<String> = entries
                .iter()
                .filter(|e| &e.name != context && server.is_some() && e.server == server)
                .map(|e| e.name.clone())
                .collect();
            if watch {
                self.watched.push(context.clone());
                self.watched.retain(|c| !siblings.contains(c));
                self.unwatched.extend(siblings);
            } else {
                self.unwatched.insert(context.clone());
                let by_default = siblings.into_iter().filter(|sibling| !self.watched.contains(sibling));
                self.unwatched.extend(by_default.collect::<Vec<_>>());
            }
        }
    }

    /// Whether `entry` (one of `total` contexts) is chosen, by the user or by the default.
    pub fn chosen(&self, entry: &ContextEntry, total: usize) -> bool {
        if self.watched.contains(&entry.name) {
            return true;
        }
        if self.unwatched.contains(&entry.name) {
            return false;
        }
        total <= WATCH_ALL_UP_TO || entry.current
    }

    /// The contexts the fleet watches: of the usable chosen ones, one per API server — the one
    /// turned on last, else the current context, else the first by name — sorted by name.
    pub fn fleet<'a>(&self, entries: &'a [ContextEntry]) -> Vec<&'a ContextEntry> {
        let rank = |entry: &ContextEntry| {
            let turned_on = self.watched.iter().position(|c| c == &entry.name);
            (std::cmp::Reverse(turned_on), !entry.current)
        };
        let mut usable: Vec<&ContextEntry> =
            entries.iter().filter(|e| e.problem.is_none() && self.chosen(e, entries.len())).collect();
        usable.sort_by_key(|entry| rank(entry));
        let mut fleet: Vec<&ContextEntry> = Vec::new();
        for entry in usable {
            if !fleet.iter().any(|chosen| chosen.server == entry.server) {
                fleet.push(entry);
            }
        }
        fleet.sort_by(|a, b| a.name.cmp(&b.name));
        fleet
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubeconfig::{Kubeconfig, Sources};

    /// `count` contexts `c00`… on `count` servers, plus `c00-helpdesk` on `c00`'s server; `c01` current.
    fn entries(count: usize) -> Vec<ContextEntry> {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut clusters = String::new();
        let mut contexts = String::new();
        for n in 0..count {
            clusters.push_str(&format!("- name: s{n:02}\n  cluster: {{server: 'https://10.0.0.{n}:6443'}}\n"));
            contexts.push_str(&format!("- name: c{n:02}\n  context: {{cluster: s{n:02}, user: u}}\n"));
        }
        contexts.push_str("- name: c00-helpdesk\n  context: {cluster: s00, user: u}\n");
        let text = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: c01\nclusters:\n{clusters}users:\n- name: u\n  user: {{token: t}}\ncontexts:\n{contexts}"
        );
        let path = dir.path().join("config");
        std::fs::write(&path, text).expect("write");
        Kubeconfig::load(&Sources::Explicit(path)).expect("loads").contexts()
    }

    fn names(fleet: Vec<&ContextEntry>) -> Vec<&str> {
        fleet.into_iter().map(|e| e.name.as_str()).collect()
    }

    #[test]
    fn a_small_kubeconfig_is_watched_whole_one_identity_per_server() {
        let entries = entries(3);
        assert_eq!(names(WatchChoice::default().fleet(&entries)), ["c00", "c01", "c02"]);
    }

    #[test]
    fn a_large_kubeconfig_watches_the_current_context_and_what_was_chosen() {
        let entries = entries(30);
        let mut choice = WatchChoice::default();
        assert_eq!(names(choice.fleet(&entries)), ["c01"]);
        choice.set(&entries, &["c07".to_owned(), "c29".to_owned()], true);
        choice.set(&entries, &["c01".to_owned()], false);
        assert_eq!(names(choice.fleet(&entries)), ["c07", "c29"]);
    }

    #[test]
    fn an_identity_chosen_for_a_server_replaces_the_others_and_the_choice_survives_a_save() {
        let entries = entries(3);
        let mut choice = WatchChoice::default();
        choice.set(&entries, &["c00-helpdesk".to_owned()], true);
        assert_eq!(names(choice.fleet(&entries)), ["c00-helpdesk", "c01", "c02"]);
        choice.set(&entries, &["c00-helpdesk".to_owned()], false);
        assert_eq!(names(choice.fleet(&entries)), ["c01", "c02"], "the server is off, through either identity");
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config/watched-clusters.json");
        choice.save(&path).expect("saved");
        assert_eq!(WatchChoice::load(&path), choice);
        std::fs::write(&path, "{\"watched\": [").expect("a torn file");
        assert_eq!(WatchChoice::load(&path), WatchChoice::default());
    }
}
