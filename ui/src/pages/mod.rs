//! The views of the window, each given the state it shows.

mod audit;
mod clusters;
mod tenant_detail;
mod tenants;

pub use audit::AuditPage;
pub use clusters::ClustersPage;
pub use tenants::TenantsPage;
