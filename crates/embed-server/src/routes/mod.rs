//! The HTTP surface: one module per route group, each a thin adapter between
//! HTTP (extractors, status codes, the OpenAPI annotation) and a domain's
//! operations. `caller.rs` turns an admin key into the [`crate::keys::Caller`]
//! every admin operation takes, and an operator key into the
//! [`crate::operator::OperatorCaller`] the operator's operations take.

pub mod access;
pub mod agents;
pub mod assets;
pub mod audit;
pub mod caller;
pub mod catalog;
pub mod chat;
pub mod conversations;
pub mod dashboard;
pub mod engagement;
pub mod export_body;
pub mod health;
pub mod keys;
pub mod leads;
pub mod members;
pub mod operator;
pub mod provisioning;
pub mod seller;
pub mod sessions;
pub mod sign_in;
pub mod snippet;
pub mod subscriptions;
pub mod threads;
pub mod usage;
pub mod usage_events;
pub mod usage_export;
pub mod webhooks;
pub mod widget_config;
pub mod widgets;
