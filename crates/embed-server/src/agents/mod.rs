//! Agents: a tenant's binding to an agent runtime (its kind, address,
//! credential, time limits), the rules it follows (`settings`) and its storage.

pub mod ops;
pub mod settings;
mod store;

pub(crate) use store::AGENT_COLUMNS;
pub use store::{Agent, AgentDeletion};
