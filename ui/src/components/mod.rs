//! Leaf components: data and callbacks in, markup out.

mod cluster_table;
mod notice;
mod probe_badge;
mod summary;
mod top_bar;

pub use cluster_table::ClusterTable;
pub use notice::Notice;
pub use summary::Summary;
pub use top_bar::TopBar;
