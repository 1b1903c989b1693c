//! Why a run failed, told twice: a readable sentence for the visitor and the stable
//! code plus the server's message in the console for the site's developer.

use sitekit_sdk::{Error, ErrorCode};

use crate::i18n::Texts;

/// A failed run, from an SDK error (the run's own `RUN_ERROR` included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Stable and machine-readable, e.g. `rate_limited` or `network`.
    pub code: ErrorCode,
    /// The server's (or the browser's) own words.
    pub message: String,
    /// Seconds to wait before trying again, when the server said so.
    pub retry_after: Option<u64>,
}

impl Failure {
    /// What the visitor reads in the error banner, in the widget's language.
    pub fn readable(&self, texts: &Texts) -> String {
        let text = match self.code {
            ErrorCode::OriginNotAllowed => texts.origin_not_allowed,
            ErrorCode::WidgetDisabled => texts.widget_disabled,
            ErrorCode::InvalidKey | ErrorCode::KeyRevoked | ErrorCode::KeyExpired => texts.key_gone,
            ErrorCode::RateLimited | ErrorCode::TooManyStreams => {
                return texts.rate_limited(self.retry_after);
            }
            ErrorCode::BudgetExhausted => texts.budget_exhausted,
            ErrorCode::RuntimeUnavailable | ErrorCode::RuntimeError | ErrorCode::RuntimeTimeout => {
                texts.unavailable
            }
            ErrorCode::Network => texts.offline,
            // Not the server's words: a garbled stream says nothing a visitor can use.
            ErrorCode::Protocol => texts.broken_answer,
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
            // The SDK's own failures, told in its words (`network error: …`). Their
            // codes are written out rather than cloned from `error.code()`: a derived
            // clone of ErrorCode is a branch per variant in the Wasm.
            Error::Network(_) | Error::Protocol(_) | Error::Invalid(_) => Failure {
                code: match error {
                    Error::Network(_) => ErrorCode::Network,
                    Error::Protocol(_) => ErrorCode::Protocol,
                    _ => ErrorCode::InvalidArgument,
                },
                message: error.to_string(),
                retry_after: None,
            },
        }
    }
}
