//! The widget in headless Chromium: its state machine, its components rendered
//! into a real DOM, and a mounted widget as a visitor meets it.
#![cfg(target_arch = "wasm32")]

mod dom;
mod failure;
mod i18n;
mod markdown;
mod mount;
mod render;
mod state;
mod stream;
mod thread_ids;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
