//! The SDK's one error type: what went wrong, in terms a caller can act on.

use crate::wire::ErrorBody;

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
        code: String,
        message: String,
        /// Seconds to wait before trying again, from `Retry-After`.
        retry_after: Option<u64>,
    },
    /// The server's answer did not follow the protocol.
    #[error("protocol error: {0}")]
    Protocol(String),
}

impl Error {
    /// The stable machine-readable code, e.g. `origin_not_allowed` or `network`.
    pub fn code(&self) -> &str {
        match self {
            Error::Network(_) => "network",
            Error::Api { code, .. } => code,
            Error::Protocol(_) => "protocol",
        }
    }

    /// Builds an [`Error::Api`] from a non-success response body; a body that is not
    /// our JSON error shape (a proxy's HTML page, say) still yields a useful error.
    pub(crate) fn from_response(status: u16, body: &str, retry_after: Option<u64>) -> Self {
        match serde_json::from_str::<ErrorBody>(body) {
            Ok(ErrorBody { error }) => Error::Api {
                status,
                code: error.code,
                message: error.message,
                retry_after,
            },
            Err(_) => Error::Api {
                status,
                code: "http_error".into(),
                message: format!("the server answered HTTP {status}"),
                retry_after,
            },
        }
    }
}
