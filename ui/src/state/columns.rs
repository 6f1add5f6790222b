//! The fleet table's columns: which are shown and how wide each is (dragged by the user,
//! remembered in the window's local storage), and text fitted to a width so that two different
//! values never look the same — the middle is cut, so the part that tells them apart stays.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// Where the layout is remembered.
const STORAGE_KEY: &str = "tenantry.fleet.columns";
/// The narrowest a column may be dragged, in pixels.
pub const MIN_WIDTH: u32 = 56;
/// The widest a column may be dragged, in pixels.
pub const MAX_WIDTH: u32 = 900;
/// Horizontal padding of a cell, in pixels.
const PADDING: f64 = 20.0;

/// One column: its id, header label, width when nothing is remembered, and the CSS font of its
/// main text (what it is measured in).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    /// Stable id, used for storage and as the `<col>` class.
    pub id: &'static str,
    /// Header text.
    pub label: &'static str,
    /// Default width in pixels.
    pub width: u32,
    /// The font of its main text (`bold`, `mono` or `text`).
    pub font: Font,
}

/// The fonts of the table's cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    /// Body text.
    Text,
    /// The tenant id.
    Bold,
    /// Domains.
    Mono,
}

impl Font {
    /// The CSS font shorthand (kept equal to styles.css).
    pub fn css(self) -> &'static str {
        match self {
            Self::Text => "14px Inter, Cantarell, \"Noto Sans\", \"DejaVu Sans\", system-ui, sans-serif",
            Self::Bold => "600 14px Inter, Cantarell, \"Noto Sans\", \"DejaVu Sans\", system-ui, sans-serif",
            Self::Mono => "12.5px \"JetBrains Mono\", \"DejaVu Sans Mono\", monospace",
        }
    }
}

/// Every column, in order. The tenant column cannot be hidden.
pub const COLUMNS: [Column; 9] = [
    Column { id: "tenant", label: "Tenant", width: 145, font: Font::Bold },
    Column { id: "customer", label: "Customer", width: 110, font: Font::Text },
    Column { id: "domain", label: "Domain", width: 150, font: Font::Mono },
    Column { id: "cluster", label: "Cluster", width: 88, font: Font::Text },
    Column { id: "version", label: "Version", width: 76, font: Font::Text },
    Column { id: "health", label: "Health", width: 165, font: Font::Text },
    Column { id: "ready", label: "Ready", width: 62, font: Font::Text },
    Column { id: "backup", label: "Backup", width: 76, font: Font::Text },
    Column { id: "seen", label: "Seen", width: 76, font: Font::Text },
];

/// The column that is always shown.
pub const ALWAYS_SHOWN: &str = "tenant";

/// Widths the user dragged and columns the user hid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    widths: BTreeMap<String, u32>,
    hidden: BTreeSet<String>,
}

impl Layout {
    /// The remembered layout, or the default one.
    pub fn load() -> Self {
        storage()
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    }

    /// Remembers this layout for the next start.
    pub fn save(&self) {
        if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(self)) {
            let _ = storage.set_item(STORAGE_KEY, &text);
        }
    }

    /// Column `column`'s width in pixels.
    pub fn width(&self, column: &Column) -> u32 {
        self.widths.get(column.id).copied().unwrap_or(column.width)
    }

    /// Sets column `id`'s width, kept within bounds.
    pub fn set_width(&mut self, id: &str, width: f64) {
        let width = width.round().clamp(f64::from(MIN_WIDTH), f64::from(MAX_WIDTH)) as u32;
        self.widths.insert(id.to_owned(), width);
    }

    /// Whether column `id` is shown.
    pub fn shown(&self, id: &str) -> bool {
        !self.hidden.contains(id)
    }

    /// Shows column `id` if hidden, hides it if shown (never the tenant column).
    pub fn toggle(&mut self, id: &str) {
        if id != ALWAYS_SHOWN && !self.hidden.remove(id) {
            self.hidden.insert(id.to_owned());
        }
    }

    /// The shown columns, in order.
    pub fn visible(&self) -> Vec<Column> {
        COLUMNS.iter().copied().filter(|c| self.shown(c.id)).collect()
    }

    /// Back to the default widths and columns.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// The pixels column `column`'s text may take (its width less the cell's padding).
    pub fn room(&self, column: &Column) -> f64 {
        f64::from(self.width(column)) - PADDING
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// `text` cut to at most `fits` characters by replacing its middle with "…", so its start and
/// its end (where ids and names differ: `alder-bakery-2`, `alder-bakery-3`) both stay.
pub fn fit(text: &str, fits: usize) -> String {
    let count = text.chars().count();
    if count <= fits {
        return text.to_owned();
    }
    let keep = fits.saturating_sub(1).max(2);
    let tail = keep / 2;
    let head = keep - tail;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(count - tail).collect();
    format!("{start}…{end}")
}

/// How many characters every one of `texts` starts with and ends with alike (the end not
/// overlapping the start of the shortest); `(0, 0)` for fewer than two different texts.
pub fn shared_ends(texts: &[&str]) -> (usize, usize) {
    let mut distinct: Vec<Vec<char>> = texts.iter().map(|t| t.chars().collect()).collect();
    distinct.sort();
    distinct.dedup();
    let (Some(first), true) = (distinct.first(), distinct.len() > 1) else { return (0, 0) };
    let shortest = distinct.iter().map(Vec::len).min().unwrap_or(0);
    let prefix = (0..shortest).take_while(|&i| distinct.iter().all(|t| t[i] == first[i])).count();
    let suffix = (0..shortest - prefix)
        .take_while(|&i| distinct.iter().all(|t| t[t.len() - 1 - i] == first[first.len() - 1 - i]))
        .count();
    (prefix, suffix)
}

/// `text` shortened until `fits` accepts it, keeping what tells it apart from its neighbours
/// (everything after its first `prefix` and before its last `suffix` characters, which they
/// share): first by cutting into the shared start (`bulk…-00042.example.com`), else also into
/// the shared end (`bulk…-00042.ex…`); `None` when even that does not fit.
pub fn fit_apart(text: &str, prefix: usize, suffix: usize, fits: impl Fn(&str) -> bool) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let (from, to) = (prefix.min(chars.len()), chars.len().saturating_sub(suffix).max(prefix.min(chars.len())));
    let part = |range: std::ops::Range<usize>| chars[range].iter().collect::<String>();
    let head = from.min(4);
    let cut_start = |b: usize| format!("{}…{}", part(0..head), part(b..chars.len()));
    if from > head + 1 && fits(&cut_start(from)) {
        // The smallest cut that fits: the cut grows with `b`, so the fitting ones are a tail.
        let (mut low, mut high) = (head + 1, from);
        while low < high {
            let middle = (low + high) / 2;
            if fits(&cut_start(middle)) { high = middle } else { low = middle + 1 }
        }
        return Some(cut_start(low));
    }
    let start = if from > head + 1 { format!("{}…", part(0..head)) } else { part(0..from) };
    let cut_both = |e: usize| format!("{start}{}…", part(from..e));
    if to >= chars.len() || !fits(&cut_both(to)) {
        return None;
    }
    let (mut low, mut high) = (to, chars.len() - 1);
    while low < high {
        let middle = (low + high).div_ceil(2);
        if fits(&cut_both(middle)) { low = middle } else { high = middle - 1 }
    }
    Some(cut_both(low))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_part_that_differs_stays_when_a_long_shared_start_and_end_are_cut() {
        let texts = ["bulk-bakery-00041.shops.example.com", "bulk-bakery-00042.shops.example.com"];
        let (prefix, suffix) = shared_ends(&texts);
        assert_eq!((prefix, suffix), (16, 18));
        let up_to = |n: usize| move |s: &str| s.chars().count() <= n;
        assert_eq!(fit_apart(texts[1], prefix, suffix, up_to(26)).as_deref(), Some("bulk…042.shops.example.com"));
        assert_eq!(fit_apart(texts[1], prefix, suffix, up_to(12)).as_deref(), Some("bulk…2.shop…"));
        assert_eq!(fit_apart(texts[1], prefix, suffix, up_to(5)), None);
        let ids = ["alder-books", "birch-books"];
        let (prefix, suffix) = shared_ends(&ids);
        assert_eq!((prefix, suffix), (0, 6));
        assert_eq!(fit_apart("alder-books", prefix, suffix, up_to(8)).as_deref(), Some("alder-b…"));
        assert_eq!(shared_ends(&["same", "same"]), (0, 0));
    }

    #[test]
    fn fitting_keeps_both_ends_so_neighbours_stay_apart() {
        assert_eq!(fit("alder-bakery-2", 20), "alder-bakery-2");
        assert_eq!(fit("alder-bakery-2", 11), "alder…ery-2");
        assert_ne!(fit("alder-bakery-2", 11), fit("alder-bakery-3", 11));
        assert_ne!(fit("shop-a.eu.example.com", 12), fit("shop-b.eu.example.com", 12));
        assert_eq!(fit("ünïcödé-name-1", 8).chars().count(), 8);
    }

    #[test]
    fn widths_stay_within_bounds_and_the_tenant_column_cannot_be_hidden() {
        let mut layout = Layout::default();
        layout.set_width("domain", 5.0);
        layout.set_width("customer", 1e9);
        let width = |id: &str| layout.width(COLUMNS.iter().find(|c| c.id == id).expect("column"));
        assert_eq!((width("domain"), width("customer")), (MIN_WIDTH, MAX_WIDTH));
        layout.toggle("tenant");
        layout.toggle("backup");
        let shown: Vec<&str> = layout.visible().iter().map(|c| c.id).collect();
        assert!(shown.contains(&"tenant") && !shown.contains(&"backup"));
        layout.toggle("backup");
        assert_eq!(layout.visible().len(), COLUMNS.len());
    }
}
