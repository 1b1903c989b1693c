//! The operator's API: the operator's own keys (`skt_op_…`, kept in `store`),
//! which only the command line on the server's machine makes, and what they
//! may do (`ops`): read and create the organisations on the server, and make,
//! list and revoke their keys, so a control plane provisions without a shell;
//! and what it provisions for a marketplace purchase (`provisioning`).

pub mod ops;
pub mod provisioning;
mod store;

pub use ops::OperatorCaller;
pub use store::{OperatorKeyListing, OperatorKeyRecord};
