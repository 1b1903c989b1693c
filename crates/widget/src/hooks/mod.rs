//! Effects of the widget, kept out of the components.

mod use_chat;

pub use use_chat::{UseChat, use_chat};
