//! Widgets: what a site embeds — its settings and their rules (`settings`), the
//! origins it answers (`origin`), its snippets (`snippet`) and its storage.

pub mod ops;
pub mod origin;
pub mod settings;
pub mod snippet;
mod store;

pub use store::{Marketplace, PublishableKeyRecord, Widget, WidgetRuns};
