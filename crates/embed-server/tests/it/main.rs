//! Integration tests: the real `sitekit` binary on port 0 with a fresh SQLite
//! database, and a real Langflow runtime (`lfx serve`) behind it.

mod admin;
mod assets;
mod chat;
mod cli;
mod config;
#[cfg(feature = "embed-assets")]
mod embedded;
mod limits;
mod sessions;
mod snippet;
mod storage;
mod support;
