//! The panel's parts, one component per file; props are plain data and callbacks.

mod composer;
mod error_banner;
mod message_list;
mod panel;
mod starter_prompts;

pub use composer::{Composer, ComposerProps};
pub use error_banner::{ErrorBanner, ErrorBannerProps};
pub use message_list::{MessageList, MessageListProps};
pub use panel::{Panel, PanelProps};
pub use starter_prompts::{StarterPrompts, StarterPromptsProps};
