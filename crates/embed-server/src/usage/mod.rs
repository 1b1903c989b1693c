//! Usage: the rules a page's usage events follow (`event_rules`), reports over
//! the daily roll-ups (`report`), the export formats (`export`), and their
//! storage (`store`).

pub mod event_rules;
pub mod export;
pub mod ops;
pub mod report;
mod store;

pub use store::{
    AgentUsageRow, CountedEvent, DailyRow, EventBatch, EventCursor, EventSender, NewUsageEvent,
    RollupCell, StoredEvents, StoredUsageEvent, UsageFilter, UsageRun, UsageSubject,
};
