//! Why a run failed, told twice: a readable sentence for the visitor and the stable
//! code plus the server's message in the console for the site's developer.

use sitekit_sdk::Error;

use crate::i18n::Texts;

/// A failed run, from an SDK error (the run's own `RUN_ERROR` included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Stable and machine-readable, e.g. `rate_limited` or `network`.
    pub code: String,
    /// The server's (or the browser's) own words.
    pub message: String,
    /// Seconds to wait before trying again, when the server said so.
    pub retry_after: Option<u64>,
}

impl Failure {
    /// What the visitor reads in the error banner, in the widget's language.
    pub fn readable(&self, texts: &Texts) -> String {
        let text = match self.code.as_str() {
            "origin_not_allowed" => texts.origin_not_allowed,
            "widget_disabled" => texts.widget_disabled,
            "invalid_key" | "key_revoked" | "key_expired" => texts.key_gone,
            "rate_limited" | "too_many_streams" => return texts.rate_limited(self.retry_after),
            "budget_exhausted" => texts.budget_exhausted,
            "runtime_unavailable" | "runtime_error" | "runtime_timeout" => texts.unavailable,
            "network" => texts.offline,
            // Not the server's words: a garbled stream says nothing a visitor can use.
            "protocol" => texts.broken_answer,
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
        let code = error.code().to_owned();
        match error {
            Error::Api {
                message,
                retry_after,
                ..
            } => Failure {
                code,
                message,
                retry_after,
            },
            Error::Run { message, .. } => Failure {
                code,
                message,
                retry_after: None,
            },
            other => Failure {
                code,
                message: other.to_string(),
                retry_after: None,
            },
        }
    }
}
