//! Which tenants' rows the watch events since the last pass may have changed: the namespaces
//! the events were in, or every namespace (a listing, a cluster-wide object, the drift sweep),
//! so that a pass over one pod's change rebuilds one row instead of the cluster's thousand.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

/// The namespaces touched since the last [`Touched::take`], shared by a cluster's watches.
#[derive(Debug, Default)]
pub struct Touched {
    marks: Mutex<Scope>,
}

/// Which namespaces' rows to build again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every namespace's.
    Everything,
    /// These namespaces' only (none: nothing a row reads changed).
    Namespaces(HashSet<String>),
}

impl Default for Scope {
    fn default() -> Self {
        Self::Namespaces(HashSet::new())
    }
}

impl Touched {
    /// Namespace `name`'s row may have changed (`None`: any row may have).
    pub fn namespace(&self, name: Option<&str>) {
        let Some(name) = name else { return self.everything() };
        let mut marks = self.marks.lock().unwrap_or_else(PoisonError::into_inner);
        if let Scope::Namespaces(names) = &mut *marks
            && !names.contains(name)
        {
            names.insert(name.to_owned());
        }
    }

    /// Any row may have changed.
    pub fn everything(&self) {
        *self.marks.lock().unwrap_or_else(PoisonError::into_inner) = Scope::Everything;
    }

    /// What was touched since the last call, forgotten here.
    pub fn take(&self) -> Scope {
        std::mem::take(&mut *self.marks.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Scope {
        Scope::Namespaces(list.iter().map(|name| (*name).to_owned()).collect())
    }

    #[test]
    fn touched_namespaces_are_taken_once_and_everything_outweighs_them() {
        let touched = Touched::default();
        assert_eq!(touched.take(), names(&[]), "nothing touched");
        touched.namespace(Some("shop-1"));
        touched.namespace(Some("shop-2"));
        touched.namespace(Some("shop-1"));
        assert_eq!(touched.take(), names(&["shop-1", "shop-2"]));
        assert_eq!(touched.take(), names(&[]), "taken once");
        touched.namespace(Some("shop-1"));
        touched.namespace(None);
        touched.namespace(Some("shop-3"));
        assert_eq!(touched.take(), Scope::Everything, "a cluster-wide object touches every row");
        touched.everything();
        assert_eq!(touched.take(), Scope::Everything);
        assert_eq!(touched.take(), names(&[]));
    }
}
