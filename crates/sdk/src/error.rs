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
        code: ErrorCode,
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
    #[error("{message} ({code})")]
    Run { code: ErrorCode, message: String },
}

impl Error {
    /// The stable machine-readable code, e.g. [`ErrorCode::OriginNotAllowed`]
    /// or [`ErrorCode::Network`]; [`ErrorCode::as_str`] is its name on the wire.
    pub fn code(&self) -> &ErrorCode {
        match self {
            Error::Network(_) => &ErrorCode::Network,
            Error::Api { code, .. } => code,
            Error::Protocol(_) => &ErrorCode::Protocol,
            Error::Invalid(_) => &ErrorCode::InvalidArgument,
            Error::Run { code, .. } => code,
        }
    }

    /// Builds an [`Error::Api`] from a non-success response body; a body that is not
    /// our JSON error shape (a proxy's HTML page, say) still yields a useful error.
    pub(crate) fn from_response(status: u16, body: &str, retry_after: Option<u64>) -> Self {
        match crate::decode::error_detail(body) {
            Some(error) => Error::Api {
                status,
                code: ErrorCode::from(error.code),
                message: error.message,
                retry_after,
            },
            None => Error::Api {
                status,
                code: ErrorCode::HttpError,
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
        assert_eq!(error.code(), &ErrorCode::MissingScope);
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
    fn a_body_that_is_not_ours_still_names_the_status() {
        let error = Error::from_response(502, "<html>Bad Gateway</html>", None);
        assert_eq!(error.code(), "http_error");
        assert_eq!(error.code(), &ErrorCode::HttpError);
        assert!(error.to_string().contains("HTTP 502"), "{error}");
    }
}
