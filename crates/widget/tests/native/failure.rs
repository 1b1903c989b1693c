//! What a visitor reads for each stable error code.

use sitekit_sdk::{Error, ErrorCode};
use sitekit_widget::failure::Failure;
use sitekit_widget::i18n::{Lang, Texts};

const EN: &Texts = Lang::En.text();

fn api(code: &str, retry_after: Option<u64>) -> Failure {
    Failure::from(Error::Api {
        status: 400,
        code: code.into(),
        message: "The server's own words.".into(),
        retry_after,
    })
}

#[test]
fn stable_codes_read_as_plain_sentences() {
    assert_eq!(
        api("origin_not_allowed", None).readable(EN),
        "This website is not allowed to use this chat."
    );
    for code in ["runtime_unavailable", "runtime_error", "runtime_timeout"] {
        assert_eq!(
            api(code, None).readable(EN),
            "The assistant is unavailable right now. Please try again."
        );
    }
    assert!(api("key_revoked", None).readable(EN).contains("site owner"));
    assert!(
        api("widget_disabled", None)
            .readable(EN)
            .contains("turned off")
    );
    assert!(
        api("budget_exhausted", Some(3_600))
            .readable(EN)
            .contains("come back tomorrow")
    );
    // A month's budget, or a purchase paused by its marketplace: later, not tomorrow.
    for paused in [
        api("budget_exhausted", Some(20 * 86_400)),
        api("widget_paused", None),
    ] {
        assert_eq!(
            paused.readable(EN),
            "This chat is paused for now. Please come back later."
        );
    }
    let offline = Failure::from(Error::Network("Failed to fetch".into()));
    assert!(offline.readable(EN).starts_with("You seem to be offline"));
    // A server that stopped mid-answer: the run ended, ask again.
    let cut = Failure::from(Error::Run {
        code: "connection_lost".into(),
        message: "the connection to the server was lost before the run finished".into(),
    });
    assert_eq!(
        cut.readable(EN),
        "Something went wrong with this answer. Please try again."
    );
}

#[test]
fn rate_limits_say_how_long_to_wait() {
    assert!(
        api("rate_limited", Some(30))
            .readable(EN)
            .contains("wait 30 seconds")
    );
    assert!(
        api("rate_limited", Some(600))
            .readable(EN)
            .contains("wait 10 minutes")
    );
    assert!(
        api("rate_limited", None)
            .readable(EN)
            .contains("wait a moment")
    );
    // Too many answers streaming at once on the server or the widget.
    assert_eq!(
        api("too_many_streams", Some(5)).readable(EN),
        "Too many messages right now. Please wait 5 seconds and try again."
    );
}

#[test]
fn unknown_codes_fall_back_to_the_servers_message_and_the_console_gets_both() {
    let failure = api("budget_exceeded", None);
    assert_eq!(failure.readable(EN), "The server's own words.");
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
        run_error.readable(EN),
        "The assistant is unavailable right now. Please try again."
    );
}

#[test]
fn the_visitor_reads_it_in_the_widgets_language() {
    let limited = api("rate_limited", Some(120));
    assert_eq!(
        limited.readable(Lang::De.text()),
        "Gerade sind es zu viele Nachrichten. Bitte warten Sie 2 Minuten und versuchen Sie es dann erneut."
    );
    assert_eq!(
        api("network", None).readable(Lang::Ar.text()),
        "يبدو أنك غير متصل بالإنترنت. تحقّق من اتصالك وحاول مرة أخرى."
    );
    // The server's own words for a code the widget does not know stay as they are.
    assert_eq!(
        api("budget_exceeded", None).readable(Lang::Fr.text()),
        "The server's own words."
    );
}

#[test]
fn a_failure_keeps_the_code_as_an_error_code_and_the_sdks_own_words() {
    let refused = api("origin_not_allowed", None);
    assert_eq!(refused.code(), ErrorCode::OriginNotAllowed);
    assert_eq!(refused.code_str(), "origin_not_allowed");
    assert!(refused.is(ErrorCode::OriginNotAllowed));
    assert!(!refused.is(ErrorCode::OriginRequired));
    let unknown = api("budget_exceeded", None);
    assert_eq!(unknown.code(), ErrorCode::Other("budget_exceeded".into()));
    assert_eq!(unknown.code_str(), "budget_exceeded");
    assert!(!unknown.is(ErrorCode::BudgetExhausted));
    let offline = Failure::from(Error::Network("Failed to fetch".into()));
    assert_eq!(offline.code(), ErrorCode::Network);
    assert!(offline.is(ErrorCode::Network));
    assert_eq!(
        offline.console_line(),
        "[SiteKit] network: network error: Failed to fetch"
    );
    let garbled = Failure::from(Error::Protocol("no RUN_FINISHED".into()));
    assert_eq!(garbled.code(), ErrorCode::Protocol);
    assert_eq!(garbled.message, "protocol error: no RUN_FINISHED");
    let refused = Failure::from(Error::Invalid("too large".into()));
    assert_eq!(refused.code(), ErrorCode::InvalidArgument);
    assert_eq!(refused.code_str(), "invalid_argument");
}
