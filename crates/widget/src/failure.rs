//! Why a run failed, told twice: a readable sentence for the visitor and the stable
//! code plus the server's message in the console for the site's developer.

use sitekit_sdk::{Error, ErrorCode};

use crate::i18n::Texts;

/// A failed run, from an SDK error (the run's own `RUN_ERROR` included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The code's name as the server sent it (or the SDK's own), e.g.
    /// `rate_limited` or `network`. Kept as text and only compared with the
    /// codes the widget has words for: reading it into an [`ErrorCode`] would
    /// put every known code's name in the widget's Wasm, where comparing puts
    /// only those it compares with.
    pub(crate) code: String,
    /// The server's (or the browser's) own words.
    pub message: String,
    /// Seconds to wait before trying again, when the server said so.
    pub retry_after: Option<u64>,
}

impl Failure {
    /// The stable code, e.g. [`ErrorCode::RateLimited`]; one the SDK does not
    /// know is [`ErrorCode::Other`]. For tests: the widget itself only compares.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::from(self.code.as_str())
    }

    /// The code's name on the wire, as the console line and the host page's
    /// error event give it.
    pub fn code_str(&self) -> &str {
        &self.code
    }

    /// Whether the code is `code`: for a constant variant, one comparison with
    /// its name (always inlined, so that [`ErrorCode::as_str`] folds).
    #[inline(always)]
    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == code.as_str()
    }

    /// What the visitor reads in the error banner, in the widget's language.
    pub fn readable(&self, texts: &Texts) -> String {
        const DAY_SECS: u64 = 86_400;
        // The names as `match` patterns: `ErrorCode::as_str` is a `const fn`, so
        // each is the one name, and the `match` compiles as one on literals.
        const ORIGIN_NOT_ALLOWED: &str = ErrorCode::OriginNotAllowed.as_str();
        const WIDGET_DISABLED: &str = ErrorCode::WidgetDisabled.as_str();
        const WIDGET_PAUSED: &str = ErrorCode::WidgetPaused.as_str();
        const INVALID_KEY: &str = ErrorCode::InvalidKey.as_str();
        const KEY_REVOKED: &str = ErrorCode::KeyRevoked.as_str();
        const KEY_EXPIRED: &str = ErrorCode::KeyExpired.as_str();
        const RATE_LIMITED: &str = ErrorCode::RateLimited.as_str();
        const TOO_MANY_STREAMS: &str = ErrorCode::TooManyStreams.as_str();
        const BUDGET_EXHAUSTED: &str = ErrorCode::BudgetExhausted.as_str();
        const RUNTIME_UNAVAILABLE: &str = ErrorCode::RuntimeUnavailable.as_str();
        const RUNTIME_ERROR: &str = ErrorCode::RuntimeError.as_str();
        const RUNTIME_TIMEOUT: &str = ErrorCode::RuntimeTimeout.as_str();
        const NETWORK: &str = ErrorCode::Network.as_str();
        const PROTOCOL: &str = ErrorCode::Protocol.as_str();
        const CONNECTION_LOST: &str = ErrorCode::ConnectionLost.as_str();
        let text = match self.code.as_str() {
            ORIGIN_NOT_ALLOWED => texts.origin_not_allowed,
            WIDGET_DISABLED => texts.widget_disabled,
            WIDGET_PAUSED => texts.paused,
            // A budget that renews after more than a day is a month's:
            // "tomorrow" would be untrue.
            BUDGET_EXHAUSTED if self.retry_after.is_some_and(|secs| secs > DAY_SECS) => {
                texts.paused
            }
            INVALID_KEY | KEY_REVOKED | KEY_EXPIRED => texts.key_gone,
            RATE_LIMITED | TOO_MANY_STREAMS => return texts.rate_limited(self.retry_after),
            BUDGET_EXHAUSTED => texts.budget_exhausted,
            RUNTIME_UNAVAILABLE | RUNTIME_ERROR | RUNTIME_TIMEOUT => texts.unavailable,
            NETWORK => texts.offline,
            // Not the server's words: a garbled stream says nothing a visitor can use.
            // An answer cut off (a server stopped mid-answer) is one to ask again.
            PROTOCOL | CONNECTION_LOST => texts.broken_answer,
            _ if self.message.is_empty() => texts.something_wrong,
            _ => return self.message.clone(),
        };
        text.to_owned()
    }

    /// The line a developer looks for in the console: `[SiteKit] code: message`.
    pub fn console_line(&self) -> String {
        format!("[SiteKit] {}: {}", self.code, self.message)
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        match error {
            Error::Api {
                code,
                message,
                retry_after,
                ..
            } => Failure {
                code,
                message,
                retry_after,
            },
            Error::Run { code, message } => Failure {
                code,
                message,
                retry_after: None,
            },
            // The SDK's own failures, told in its words (`network error: …`).
            other => Failure {
                code: other.code_str().to_owned(),
                message: other.to_string(),
                retry_after: None,
            },
        }
    }
}
