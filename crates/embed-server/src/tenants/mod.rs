//! Tenants: the organisations every widget, agent, key and usage record
//! belongs to, and [`TenantScope`], whose rows a query may reach.

pub mod ops;
mod scope;
mod store;

pub use scope::{TenantId, TenantScope};
pub use store::Tenant;
