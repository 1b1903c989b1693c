//! Usage storage: page events stored once each (`events`; PostgreSQL's one
//! statement in `events_postgres`; batched by `event_queue`), one record per
//! run (`runs`), the daily roll-ups both add to (`rollups`), reading them
//! (`daily`; a seller's, `seller`), raw records a page at a time (`export`),
//! and the runs open now, recorded by any node if theirs stops (`open_runs`).

mod daily;
mod event_queue;
mod events;
mod events_postgres;
mod export;
mod open_runs;
mod rollups;
mod runs;
mod seller;

pub use daily::{AgentUsageRow, DailyRow, UsageFilter, UsageSubject};
pub use events::{CountedEvent, EventBatch, EventSender, NewUsageEvent, StoredEvents};
pub use export::{EventCursor, StoredUsageEvent};
pub(crate) use open_runs::{forget_open_run, note_open_run};
pub use rollups::RollupCell;
pub(crate) use rollups::RollupDelta;
pub use runs::UsageRun;
pub(crate) use runs::store_run;
pub use seller::{RunTimes, SellerCell, SellerDayRow, SellerErrorRow, SellerFilter};
