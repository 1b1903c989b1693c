//! Effects of the widget, kept out of the components.

mod use_back_online;
mod use_chat;

pub use use_back_online::use_back_online;
pub use use_chat::{UseChat, use_chat};
