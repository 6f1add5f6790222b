//! Leaf components: data and callbacks in, markup out.

mod action_bar;
pub mod action_dialog;
pub mod action_frame;
mod action_progress;
mod cluster_nav;
mod cluster_table;
mod create_dialog;
mod health_badge;
mod health_chart;
mod health_filter;
mod notice;
mod offline_banner;
mod preview_list;
mod probe_badge;
mod summary;
mod tenant_table;
mod toast_stack;
mod top_bar;
mod unfinished;

pub use action_bar::ActionBar;
pub use action_dialog::ActionDialog;
pub use action_progress::ActionProgress;
pub use cluster_nav::ClusterNav;
pub use cluster_table::ClusterTable;
pub use create_dialog::CreateDialog;
pub use health_badge::HealthBadge;
pub use health_chart::HealthChart;
pub use health_filter::HealthFilter;
pub use notice::Notice;
pub use offline_banner::OfflineBanner;
pub use preview_list::PreviewList;
pub use summary::Summary;
pub use tenant_table::{SortKey, TenantTable};
pub use toast_stack::ToastStack;
pub use top_bar::TopBar;
pub use unfinished::Unfinished;
