//! The widget's pure logic on the host, under plain `cargo test`: the reducer,
//! the page's calls, what a visitor reads for each error, the widget's languages and the tree the
//! Markdown parser builds. What needs a browser (a DOM, `localStorage`,
//! `crypto`) is in `tests/it`, in headless Chromium.
#![cfg(not(target_arch = "wasm32"))]

mod commands;
mod failure;
mod i18n;
mod markdown;
mod state;
