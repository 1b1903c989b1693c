//! The site owner's inbox: the conversations visitors had with the
//! organisation's widgets, found by widget, day, rating, outcome, visitor and
//! the words in them; read as transcripts with each run's outcome, tokens and
//! times; exported; deleted one at a time or all of a visitor's.
//!
//! A conversation is a thread (`chat/threads.rs` writes its row with each
//! turn); its runs are the usage records of that thread, its ratings the
//! visitors' feedback events (`run_ratings`). It lives as long as its
//! messages: retention forgets both.

pub mod ops;
mod search;
mod store;

pub use store::{ConversationFilter, ConversationRating, ConversationRow, PageCursor, RunRating};
