//! Usage: the rules a page's usage events follow (`event_rules`), reports over
//! the daily roll-ups (`report`; a seller's analytics, `seller`), the export
//! formats (`export`), and their storage (`store`).

pub mod event_rules;
pub mod export;
pub mod list_window;
pub mod month;
pub mod ops;
pub mod report;
pub mod seller;
mod store;

pub use store::{
    AgentUsageRow, CountedEvent, DailyRow, EventBatch, EventCursor, EventSender, NewUsageEvent,
    RollupCell, RunTimes, SellerCell, SellerDayRow, SellerErrorRow, SellerFilter, StoredEvents,
    StoredUsageEvent, UsageFilter, UsageRun, UsageSubject,
};
/// What recording a chat run writes, on a connection of the caller's (`chat::run_ledger`).
pub(crate) use store::{RollupDelta, forget_open_run, note_open_run, store_run};
