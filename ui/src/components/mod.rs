//! Leaf components: data and callbacks in, markup out.

mod cluster_nav;
mod cluster_table;
mod health_badge;
mod health_chart;
mod health_filter;
mod notice;
mod offline_banner;
mod probe_badge;
mod summary;
mod tenant_table;
mod top_bar;

pub use cluster_nav::ClusterNav;
pub use cluster_table::ClusterTable;
pub use health_badge::HealthBadge;
pub use health_chart::HealthChart;
pub use health_filter::HealthFilter;
pub use notice::Notice;
pub use offline_banner::OfflineBanner;
pub use summary::Summary;
pub use tenant_table::{SortKey, TenantTable};
pub use top_bar::TopBar;
