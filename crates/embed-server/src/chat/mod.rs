//! Chat: what a visitor's page does once `routes/access.rs` let its key and
//! origin in — a signed session (`session`) for a visitor id (`visitors`), a
//! run relayed to the agent's runtime (`relay`) within the stream caps
//! (`stream_slots`) and the daily budget (`budgets`), metered (`metering`),
//! recorded with its thread (`threads`) off the visitor's path (`run_ledger`).

pub mod budgets;
pub mod metering;
pub mod relay;
pub mod run_ledger;
pub mod session;
pub mod stream_slots;
pub mod threads;
pub mod visitors;

pub use budgets::{BudgetOutcome, MessageBudgets};
pub use threads::{ThreadKey, Turn};
