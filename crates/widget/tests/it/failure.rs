//! What a visitor reads for each stable error code.

use sitekit_sdk::Error;
use sitekit_widget::failure::Failure;
use wasm_bindgen_test::wasm_bindgen_test;

fn api(code: &str, retry_after: Option<u64>) -> Failure {
    Failure::from(Error::Api {
        status: 400,
        code: code.into(),
        message: "The server's own words.".into(),
        retry_after,
    })
}

#[wasm_bindgen_test]
fn stable_codes_read_as_plain_sentences() {
    assert_eq!(
        api("origin_not_allowed", None).readable(),
        "This website is not allowed to use this chat."
    );
    for code in ["runtime_unavailable", "runtime_error", "runtime_timeout"] {
        assert_eq!(
            api(code, None).readable(),
            "The assistant is unavailable right now. Please try again."
        );
    }
    assert!(api("key_revoked", None).readable().contains("site owner"));
    assert!(
        api("widget_disabled", None)
            .readable()
            .contains("turned off")
    );
    assert!(
        api("budget_exhausted", Some(3_600))
            .readable()
            .contains("come back tomorrow")
    );
    let offline = Failure::from(Error::Network("Failed to fetch".into()));
    assert!(offline.readable().starts_with("You seem to be offline"));
}

#[wasm_bindgen_test]
fn rate_limits_say_how_long_to_wait() {
    assert!(
        api("rate_limited", Some(30))
            .readable()
            .contains("wait 30 seconds")
    );
    assert!(
        api("rate_limited", Some(600))
            .readable()
            .contains("wait 10 minutes")
    );
    assert!(
        api("rate_limited", None)
            .readable()
            .contains("wait a moment")
    );
}

#[wasm_bindgen_test]
fn unknown_codes_fall_back_to_the_servers_message_and_the_console_gets_both() {
    let failure = api("budget_exceeded", None);
    assert_eq!(failure.readable(), "The server's own words.");
    assert_eq!(
        failure.console_line(),
        "[SiteKit] budget_exceeded: The server's own words."
    );
    let run_error = Failure::from(Error::Run {
        code: "runtime_error".into(),
        message: "flow crashed".into(),
    });
    assert_eq!(
        run_error.message, "flow crashed",
        "the runtime's words, as they are"
    );
    assert_eq!(
        run_error.readable(),
        "The assistant is unavailable right now. Please try again."
    );
}
