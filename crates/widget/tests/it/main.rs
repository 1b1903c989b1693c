//! The widget in headless Chromium: its components and Markdown rendered into a
//! real DOM, thread ids, and a mounted widget as a visitor meets it. The pure
//! logic (the reducer, failure texts, languages, Markdown's tree) is tested on
//! the host, in `tests/native`.
#![cfg(target_arch = "wasm32")]

mod dom;
mod markdown;
mod mount;
mod render;
mod stream;
mod thread_ids;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
