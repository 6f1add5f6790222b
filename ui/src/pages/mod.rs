//! The views of the window, each given the state it shows.

mod audit;
mod clusters;
mod rollouts;
mod tenancy;
mod tenant_detail;
mod tenants;

pub use audit::AuditPage;
pub use clusters::ClustersPage;
pub use rollouts::RolloutsPage;
pub use tenancy::TenancyPage;
pub use tenants::TenantsPage;
