//! What a widget asks of its visitors besides their questions, and what they
//! answer: the contact details a visitor leaves (a lead, one per
//! conversation), asking for a person (one request per conversation, sent to
//! the organisation's help desk as the `handoff.requested` webhook with the
//! transcript), and the organisation's list and CSV export of leads. The
//! CSAT answers arrive as usage events and are stored with the answers'
//! ratings (`conversations/`); the widget's settings are checked in
//! `widgets/settings.rs`.
//!
//! All of it is kept with its conversation: deleting the conversation, the
//! visitor's data or the thread's retention takes it too.

pub mod lead_rules;
pub mod ops;
mod store;

pub use store::{LeadFilter, LeadRow};
