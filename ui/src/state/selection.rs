//! The fleet table's selection: tenants chosen by click, ctrl/cmd-click, shift-click ranges or
//! "all matching", kept by key so it survives scrolling, sorting, filtering and live updates.

use std::collections::BTreeSet;
use std::sync::Arc;

use tenantry_model::TenantSummary;

/// A tenant's key: its cluster and id.
pub type Key = (String, String);

fn key_of(row: &TenantSummary) -> Key {
    (row.cluster.clone(), row.id.clone())
}

/// The chosen tenants and the row a shift-click ranges from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    chosen: BTreeSet<Key>,
    anchor: Option<Key>,
}

impl Selection {
    /// How many tenants are chosen.
    pub fn len(&self) -> usize {
        self.chosen.len()
    }

    /// Whether none is chosen.
    pub fn is_empty(&self) -> bool {
        self.chosen.is_empty()
    }

    /// Whether `row` is chosen.
    pub fn contains(&self, row: &TenantSummary) -> bool {
        self.chosen.contains(&key_of(row))
    }

    /// A pick of `rows[index]`: toggles it, or with `range` chooses every row from the last
    /// picked one (when it is still among `rows`) to it.
    pub fn pick(&mut self, rows: &[Arc<TenantSummary>], index: usize, range: bool) {
        let Some(row) = rows.get(index) else { return };
        let key = key_of(row);
        let from = self.anchor.as_ref().and_then(|anchor| rows.iter().position(|r| key_of(r) == *anchor));
        match from {
            Some(from) if range => {
                let (low, high) = if from <= index { (from, index) } else { (index, from) };
                self.chosen.extend(rows[low..=high].iter().map(|row| key_of(row)));
            }
            _ if !self.chosen.remove(&key) => {
                self.chosen.insert(key.clone());
            }
            _ => {}
        }
        self.anchor = Some(key);
    }

    /// Chooses every row of `rows` (all that match the filters, on every cluster).
    pub fn choose_all(&mut self, rows: &[Arc<TenantSummary>]) {
        self.chosen.extend(rows.iter().map(|row| key_of(row)));
    }

    /// Chooses nothing.
    pub fn clear(&mut self) {
        self.chosen.clear();
        self.anchor = None;
    }

    /// Forgets chosen tenants for which `exists` is false (gone from the fleet).
    pub fn retain(&mut self, exists: impl Fn(&Key) -> bool) {
        self.chosen.retain(|key| exists(key));
    }

    /// The chosen tenants in the order of `rows` (the table's sort), then those the filters
    /// hide, by key: the order a rollout takes them in.
    pub fn ordered(&self, rows: &[Arc<TenantSummary>]) -> Vec<Key> {
        let mut ordered: Vec<Key> =
            rows.iter().map(|row| key_of(row)).filter(|key| self.chosen.contains(key)).collect();
        let shown: BTreeSet<&Key> = ordered.iter().collect();
        let hidden: Vec<Key> = self.chosen.iter().filter(|key| !shown.contains(key)).cloned().collect();
        ordered.extend(hidden);
        ordered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(ids: &[&str]) -> Vec<Arc<TenantSummary>> {
        ids.iter()
            .map(|id| Arc::new(TenantSummary { cluster: "eu".into(), id: (*id).into(), ..TenantSummary::default() }))
            .collect()
    }

    fn ids(selection: &Selection, rows: &[Arc<TenantSummary>]) -> Vec<String> {
        selection.ordered(rows).into_iter().map(|(_, id)| id).collect()
    }

    #[test]
    fn a_pick_toggles_and_a_range_runs_from_the_last_pick_either_way() {
        let table = rows(&["a", "b", "c", "d", "e"]);
        let mut selection = Selection::default();
        selection.pick(&table, 1, false);
        selection.pick(&table, 3, true);
        assert_eq!(ids(&selection, &table), ["b", "c", "d"]);
        selection.pick(&table, 2, false);
        assert_eq!(ids(&selection, &table), ["b", "d"]);
        selection.pick(&table, 0, true);
        assert_eq!(ids(&selection, &table), ["a", "b", "c", "d"]);
        selection.clear();
        assert!(selection.is_empty());
    }

    #[test]
    fn the_selection_survives_resorting_and_filtering_and_drops_vanished_tenants() {
        let table = rows(&["a", "b", "c"]);
        let mut selection = Selection::default();
        selection.choose_all(&table);
        let resorted: Vec<Arc<TenantSummary>> = table.iter().rev().cloned().collect();
        assert_eq!(ids(&selection, &resorted), ["c", "b", "a"]);
        assert_eq!(ids(&selection, &resorted[..1]), ["c", "a", "b"], "hidden ones follow, by key");
        selection.retain(|(_, id)| id != "b");
        assert_eq!(selection.len(), 2);
        assert!(selection.contains(&table[0]) && !selection.contains(&table[1]));
    }
}
