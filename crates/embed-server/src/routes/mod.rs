//! The HTTP surface: one module per route group.

pub mod admin_agents;
pub mod admin_keys;
pub mod admin_snippet;
pub mod admin_usage;
pub mod admin_usage_export;
pub mod admin_widgets;
pub mod assets;
pub mod chat;
pub mod dashboard;
pub mod health;
pub mod sessions;
pub mod threads;
pub mod usage_events;
pub mod widgets;
