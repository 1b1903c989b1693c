//! Subscriptions: a buyer's hold on a published agent of the catalog and its
//! version policy (`store`), which decides the version each chat of the
//! buyer's widgets runs, and the operations on them (`ops`).

pub mod ops;
mod store;

pub(crate) use store::RESOLVED_AGENT_ID;
pub use store::SubscriptionRecord;
