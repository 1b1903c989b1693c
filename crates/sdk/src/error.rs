//! The SDK's one error type: what went wrong, in terms a caller can act on.

use crate::ErrorCode;

/// Every way a call to the embed server can fail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The request never got an HTTP answer (offline, DNS, refused, aborted).
    #[error("network error: {0}")]
    Network(String),
    /// The server answered with an error status and a stable error code.
    #[error("{message} ({code}, HTTP {status})")]
    Api {
        status: u16,
        /// The code as the server sent it; [`Error::code`] reads it as an
        /// [`ErrorCode`], [`Error::is`] compares it with one.
        code: String,
        message: String,
        /// Seconds to wait before trying again, from `Retry-After`.
        retry_after: Option<u64>,
    },
    /// The server's answer did not follow the protocol.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The caller asked for something the SDK refuses before sending it (a usage
    /// event over the size limit, say).
    #[error("invalid argument: {0}")]
    Invalid(String),
    /// The agent's run failed (a `RUN_ERROR` event), e.g. `runtime_error` or
    /// `runtime_timeout`; only [`crate::Client::answer`] reports it as an error.
    /// `code` is as the event had it (`runtime_error` when it had none).
    #[error("{message} ({code})")]
    Run { code: String, message: String },
}

impl Error {
    /// The stable machine-readable code, e.g. [`ErrorCode::OriginNotAllowed`]
    /// or [`ErrorCode::Network`]; a code this SDK does not know is
    /// [`ErrorCode::Other`]. Read from the text each time: to test for a code,
    /// [`Error::is`] is cheaper.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Api { code, .. } | Error::Run { code, .. } => ErrorCode::from(code.as_str()),
            Error::Network(_) => ErrorCode::Network,
            Error::Protocol(_) => ErrorCode::Protocol,
            Error::Invalid(_) => ErrorCode::InvalidArgument,
        }
    }

    /// The code's name on the wire, e.g. `origin_not_allowed` or `network`: as
    /// the server sent it, or the SDK's own.
    pub fn code_str(&self) -> &str {
        match self {
            Error::Api { code, .. } | Error::Run { code, .. } => code,
            Error::Network(_) => ErrorCode::Network.as_str(),
            Error::Protocol(_) => ErrorCode::Protocol.as_str(),
            Error::Invalid(_) => ErrorCode::InvalidArgument.as_str(),
        }
    }

    /// Whether the code is `code`, e.g. `error.is(ErrorCode::RateLimited)`.
    /// Compares names rather than reading the code into an [`ErrorCode`]: with
    /// a constant variant this is one string comparison, and a Wasm build
    /// carries only the names it compares with (reading a code takes every
    /// known name). Always inlined, so that the variant is a constant where
    /// [`ErrorCode::as_str`] folds.
    #[inline(always)]
    pub fn is(&self, code: ErrorCode) -> bool {
        self.code_str() == code.as_str()
    }

    /// Builds an [`Error::Api`] from a non-success response body; a body that is not
    /// our JSON error shape (a proxy's HTML page, say) still yields a useful error.
    pub(crate) fn from_response(status: u16, body: &str, retry_after: Option<u64>) -> Self {
        match crate::decode::error_detail(body) {
            Some(error) => Error::Api {
                status,
                code: error.code,
                message: error.message,
                retry_after,
            },
            None => Error::Api {
                status,
                code: ErrorCode::HttpError.as_str().to_owned(),
                message: format!("the server answered HTTP {status}"),
                retry_after,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_error_keeps_the_servers_code_message_and_retry_after() {
        let body = r#"{"error":{"code":"missing_scope","message":"this key lacks the `widgets:write` scope"}}"#;
        let error = Error::from_response(403, body, None);
        assert_eq!(error.code(), "missing_scope");
        assert_eq!(error.code(), ErrorCode::MissingScope);
        assert_eq!(error.code_str(), "missing_scope");
        assert!(error.is(ErrorCode::MissingScope));
        assert!(!error.is(ErrorCode::InvalidScopes));
        assert_eq!(
            error.to_string(),
            "this key lacks the `widgets:write` scope (missing_scope, HTTP 403)"
        );
        let limited = Error::from_response(
            429,
            r#"{"error":{"code":"rate_limited","message":"slow down"}}"#,
            Some(7),
        );
        assert!(matches!(
            limited,
            Error::Api {
                status: 429,
                retry_after: Some(7),
                ..
            }
        ));
    }

    #[test]
    fn a_code_this_sdk_does_not_know_is_kept_as_sent() {
        let body = r#"{"error":{"code":"budget_exceeded","message":"no more today"}}"#;
        let error = Error::from_response(429, body, None);
        assert_eq!(error.code(), ErrorCode::Other("budget_exceeded".into()));
        assert_eq!(error.code_str(), "budget_exceeded");
        assert!(error.is(ErrorCode::Other("budget_exceeded".into())));
        assert!(!error.is(ErrorCode::BudgetExhausted));
    }

    #[test]
    fn the_sdks_own_failures_have_their_own_codes() {
        for (error, code, name) in [
            (
                Error::Network("offline".into()),
                ErrorCode::Network,
                "network",
            ),
            (
                Error::Protocol("garbled".into()),
                ErrorCode::Protocol,
                "protocol",
            ),
            (
                Error::Invalid("too large".into()),
                ErrorCode::InvalidArgument,
                "invalid_argument",
            ),
        ] {
            assert_eq!(error.code_str(), name);
            assert!(error.is(code.clone()), "{error}");
            assert_eq!(error.code(), code);
        }
        let run = Error::Run {
            code: "runtime_timeout".into(),
            message: "too slow".into(),
        };
        assert_eq!(run.code(), ErrorCode::RuntimeTimeout);
        assert!(run.is(ErrorCode::RuntimeTimeout));
        assert!(!run.is(ErrorCode::RuntimeError));
        assert_eq!(run.to_string(), "too slow (runtime_timeout)");
    }

    #[test]
    fn a_body_that_is_not_ours_still_names_the_status() {
        let error = Error::from_response(502, "<html>Bad Gateway</html>", None);
        assert_eq!(error.code(), "http_error");
        assert_eq!(error.code(), ErrorCode::HttpError);
        assert!(error.is(ErrorCode::HttpError));
        assert!(error.to_string().contains("HTTP 502"), "{error}");
    }
}
