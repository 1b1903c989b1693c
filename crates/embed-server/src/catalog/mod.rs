//! The catalog: agents that sellers publish, each with immutable numbered
//! versions whose runtime bindings are agent rows of the seller's (`store`),
//! and the operations on them (`ops`).

pub mod ops;
mod store;

pub use store::{CatalogEntry, VersionRecord};
