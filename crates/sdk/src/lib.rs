//! The Site Kit client: wire types shared by the embed server and the widget,
//! publishable-key sessions, streaming AG-UI chat, a visitor's thread history and
//! usage reporting ([`UsageReporter`]), on native Rust and Wasm; and
//! [`AdminClient`], the admin API for secret and restricted keys, and
//! [`OperatorClient`], the operator's API for operator keys. Compiled to
//! Wasm with the `js` feature it is the npm package `@sitekit/sdk`.
//!
//! Sessions are renewed before they expire, and replaced once if the server
//! stops accepting one. Requests that may safely be sent again (config,
//! sessions, threads, usage batches) are retried on network errors and
//! 429/502/503/504, with jittered exponential back-off and honouring
//! `Retry-After` up to 30 s; a chat message is never sent twice. Dropping a
//! chat's stream cancels the run. The server names the visitor: keep
//! [`Client::visitor_id`] (a credential, like a session cookie) and pass it to
//! [`Client::with_visitor_id`] to continue as that visitor later.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sitekit_sdk::Error> {
//! use futures_util::StreamExt;
//! let client = sitekit_sdk::Client::new("http://127.0.0.1:8787", "skt_pub_test_…")
//!     .with_origin("https://shop.example.com"); // native programs present an allowed origin
//! let mut answer = client.answer("thread-1", "How do I install the widget?").await?;
//! while let Some(delta) = answer.next().await {
//!     print!("{}", delta?);
//! }
//! # Ok(()) }
//! ```
//!
//! [`Client::chat_text`] streams the run's AG-UI events instead (lifecycle, text,
//! tool calls where the widget shows them), for a UI of your own.
//!
//! Usage events go in batches and count once however often they are sent:
//!
//! ```no_run
//! # async fn demo(client: sitekit_sdk::Client) -> Result<(), sitekit_sdk::Error> {
//! use sitekit_sdk::wire::usage_types::TRACK;
//! let usage = sitekit_sdk::UsageReporter::new(&client);
//! usage.track(TRACK, Some(serde_json::json!({ "name": "pricing_viewed" })))?;
//! usage.close().await?; // or drop it: the waiting events are sent either way
//! # Ok(()) }
//! ```

pub mod admin;
mod admin_client;
pub mod agui;
pub mod catalog;
mod client;
pub mod conversations;
mod decode;
pub mod engagement;
mod error;
mod error_code;
pub mod fields;
#[cfg(all(feature = "js", target_arch = "wasm32"))]
mod js;
mod keyed_client;
pub mod operator;
mod operator_client;
pub mod seller;
pub mod sse;
pub mod subscriptions;
mod time;
mod transport;
pub mod usage;
pub mod webhooks;
pub mod wire;

pub use admin_client::AdminClient;
pub use client::{Answer, Client, EventStream, RawEvent, RawEventStream};
pub use error::Error;
pub use error_code::ErrorCode;
pub use operator_client::OperatorClient;
pub use usage::UsageReporter;
