//! Usage storage: page events stored once each (`events`, batched on SQLite by
//! `event_queue`), one record per run (`runs`), the daily roll-ups both add to
//! (`rollups`), reading them (`daily`; a seller's, `seller`), raw records
//! a page at a time (`export`), and the runs open now, recorded by any node
//! if theirs stops (`open_runs`).

mod daily;
mod event_queue;
mod events;
mod export;
mod open_runs;
mod rollups;
mod runs;
mod seller;

pub use daily::{AgentUsageRow, DailyRow, UsageFilter, UsageSubject};
pub use events::{CountedEvent, EventBatch, EventSender, NewUsageEvent, StoredEvents};
pub use export::{EventCursor, StoredUsageEvent};
pub use rollups::RollupCell;
pub use runs::UsageRun;
pub use seller::{RunTimes, SellerCell, SellerDayRow, SellerErrorRow, SellerFilter};
