//! Tenants: the organisations (buyers, sellers or both) every widget, agent,
//! catalog entry, key and usage record belongs to, and [`TenantScope`], whose
//! rows a query may reach.

pub mod ops;
mod scope;
mod store;

pub use scope::{TenantId, TenantScope};
pub use store::{OrgRoles, Tenant};
