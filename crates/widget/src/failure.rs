//! Why a run failed, told twice: a readable sentence for the visitor and the stable
//! code plus the server's message in the console for the site's developer.

use sitekit_sdk::Error;

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
    /// What the visitor reads in the error banner.
    pub fn readable(&self) -> String {
        let text = match self.code.as_str() {
            "origin_not_allowed" => "This website is not allowed to use this chat.",
            "widget_disabled" => "This chat is turned off at the moment.",
            "invalid_key" | "key_revoked" => {
                "This chat is no longer set up on this website. Please tell the site owner."
            }
            "rate_limited" => return rate_limited(self.retry_after),
            "budget_exhausted" => {
                "This chat has answered all it can for today. Please come back tomorrow."
            }
            "runtime_unavailable" | "runtime_error" | "runtime_timeout" => {
                "The assistant is unavailable right now. Please try again."
            }
            "network" => "You seem to be offline. Check your connection and try again.",
            // Not the server's words: a garbled stream says nothing a visitor can use.
            "protocol" => "Something went wrong with this answer. Please try again.",
            _ if self.message.is_empty() => "Something went wrong. Please try again.",
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

fn rate_limited(retry_after: Option<u64>) -> String {
    let wait = match retry_after {
        Some(0) | None => "a moment".to_owned(),
        Some(1) => "1 second".to_owned(),
        Some(seconds @ ..=90) => format!("{seconds} seconds"),
        Some(seconds) => format!("{} minutes", seconds.div_ceil(60)),
    };
    format!("Too many messages right now. Please wait {wait} and try again.")
}
