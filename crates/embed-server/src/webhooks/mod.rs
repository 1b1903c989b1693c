//! Outgoing webhooks: an organisation registers HTTPS endpoints for events
//! (a conversation started or rated, a run failed, the day's usage, …), and
//! the server delivers each event, signed by the Standard Webhooks scheme,
//! from a durable outbox in the database, retrying for a day.
//!
//! An event is put in the outbox (`events.rs`) in the transaction that
//! stores what it tells of, by the domain that stores it; the worker
//! (`delivery.rs`, one per node) sends what is due. This module sits below
//! the domains that emit events and knows none of them.

mod daily;
pub mod delivery;
mod endpoint_url;
pub mod events;
pub mod ops;
pub mod signing;
mod store;

pub use events::{Event, ThreadIds};
