//! The panel's parts, one per file: a component where it keeps state (hooks),
//! otherwise a plain function returning `Html`, which costs the Wasm less (no
//! lifecycle of its own). Props are plain data and callbacks.

mod composer;
mod error_banner;
mod message_list;
mod panel;
mod starter_prompts;

pub use composer::{Composer, ComposerProps};
pub use error_banner::error_banner;
pub use message_list::{MessageList, MessageListProps};
pub use panel::{PanelProps, panel};
pub use starter_prompts::starter_prompts;
