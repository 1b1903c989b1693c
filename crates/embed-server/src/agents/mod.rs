//! Agents: a tenant's binding to an agent runtime (its kind, address,
//! credential, time limits), the rules it follows (`settings`) and its storage.

pub mod ops;
mod runtime_kind;
pub mod settings;
mod store;

pub use runtime_kind::RuntimeKind;
pub(crate) use store::AGENT_COLUMNS;
pub use store::{Agent, AgentDeletion};
