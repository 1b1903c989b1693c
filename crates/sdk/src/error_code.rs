//! The stable, machine-readable error codes: the `code` of the server's
//! `{"error":{"code","message"}}` answers and of a `RUN_ERROR` event, and the
//! SDK's own codes for failures that never reached the server. On the wire a
//! code is its snake_case name (`origin_not_allowed`), as it always was; a code
//! this SDK does not know yet (from a newer server) is kept as
//! [`ErrorCode::Other`], so a client never breaks when the server adds one.

use std::fmt;

/// Why a request or a run failed, as the server (or the SDK) names it.
///
/// New codes become new variants, so a `match` needs a `_` arm (the enum is
/// `#[non_exhaustive]`); until then a newer server's code arrives as
/// [`ErrorCode::Other`]. Compare with a variant, or with the wire string
/// (`code == "rate_limited"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    // The SDK's own: no answer from the server, or not one it could read.
    /// The request never got an HTTP answer (offline, DNS, refused, aborted).
    Network,
    /// The server's answer, or a stream's event, did not follow the protocol.
    Protocol,
    /// The SDK refused a call before sending it (a usage event over the size
    /// limit, say).
    InvalidArgument,
    /// An error status whose body is not the server's JSON error (a proxy's
    /// HTML page, say).
    HttpError,

    // 400: the request itself is wrong.
    /// The body is not valid JSON.
    InvalidJson,
    /// The body is JSON but not in the route's shape: a missing or mistyped
    /// field, a chat without a final user message, an id that is too long.
    InvalidBody,
    /// A query parameter is missing or malformed (e.g. a usage range's dates).
    InvalidQuery,
    /// A widget or agent setting breaks a rule (the message says which).
    InvalidSetting,
    /// An agent's new base URL names another server but no `runtimeKey` came
    /// with it.
    RuntimeKeyRequired,
    /// An agent's base URL carries a user name, password, query or fragment.
    CredentialsInUrl,
    /// An agent's base URL is outside the server's runtime egress policy.
    RuntimeNotAllowed,
    /// A new key's scopes are unknown or not allowed for its kind of key.
    InvalidScopes,
    /// A key rotation's grace period is longer than the server allows.
    InvalidGrace,
    /// A usage batch is not a JSON array of CloudEvents.
    InvalidBatch,
    /// A usage batch has more events than the server takes at once.
    BatchTooLarge,
    /// A thread id is empty, too long or has control characters.
    InvalidThread,
    /// A session request's `visitorId` is too long.
    InvalidVisitorId,
    /// A chat message is longer than the server takes.
    MessageTooLong,

    // 401: who is asking is not known (any more).
    /// No `Authorization: Bearer` (nor, for beacons, `access_token`) came.
    MissingToken,
    /// The key does not exist, is malformed, or is of the wrong kind for the
    /// route (e.g. a secret key in a web page).
    InvalidKey,
    /// The key was revoked (also 409 when a revoked key is to be rotated).
    KeyRevoked,
    /// The key expired, e.g. a replaced publishable key after its grace period
    /// (also 409 when an expired key is to be rotated).
    KeyExpired,
    /// The session token is not valid, or its widget no longer exists.
    InvalidSession,
    /// The session expired: start a new one.
    SessionExpired,
    /// The session was ended (its widget's key was rotated or revoked).
    SessionRevoked,

    // 403: known, but not allowed.
    /// The key or session lacks the scope the route needs.
    MissingScope,
    /// A browser route was called without an `Origin` header.
    OriginRequired,
    /// The page's origin is not among the widget's allowed origins, or the
    /// session belongs to another origin.
    OriginNotAllowed,
    /// The widget is disabled by its owner.
    WidgetDisabled,

    // 404, 405, 409, 413, 415.
    /// No such route or resource (or one of another tenant).
    NotFound,
    /// The route does not accept that method.
    MethodNotAllowed,
    /// An agent that widgets still use cannot be deleted.
    AgentInUse,
    /// A widget whose publishable key was revoked has no snippet.
    PublishableKeyRevoked,
    /// The body is larger than the route accepts.
    PayloadTooLarge,
    /// A JSON route got a body without `Content-Type: application/json`.
    UnsupportedMediaType,

    // 429: not now; `Retry-After` says when.
    /// Too many requests, sessions or messages for now (HTTP 429); also a
    /// `RUN_ERROR` when the agent's runtime itself refused for now.
    RateLimited,
    /// The widget has answered all the messages it may today.
    BudgetExhausted,
    /// The server, or the widget, has as many answers streaming as it may.
    TooManyStreams,

    // 500, 503: the server's side.
    /// Something broke on the server; the detail is in its log.
    Internal,
    /// The server cannot serve for now (its database is not reachable).
    Unavailable,

    // A run's `RUN_ERROR`.
    /// The agent's runtime could not be reached.
    RuntimeUnavailable,
    /// The agent's runtime failed the run, or sent more than the server relays
    /// (also a `RUN_ERROR` without a code).
    RuntimeError,
    /// The agent's runtime took too long to answer.
    RuntimeTimeout,

    /// A code this SDK does not know, e.g. one a newer server added; kept as sent.
    Other(String),
}

/// The known codes' names on the wire, in the order of the variants
/// ([`ErrorCode::index`]). A table and two `match`es of numbers rather than
/// `match`es of string literals: the widget's Wasm carries every name, and this
/// is their smallest form there (a `match` on strings compiles to one
/// comparison per name, and the `match`es here to arithmetic).
const NAMES: [&str; 43] = [
    "network",
    "protocol",
    "invalid_argument",
    "http_error",
    "invalid_json",
    "invalid_body",
    "invalid_query",
    "invalid_setting",
    "runtime_key_required",
    "credentials_in_url",
    "runtime_not_allowed",
    "invalid_scopes",
    "invalid_grace",
    "invalid_batch",
    "batch_too_large",
    "invalid_thread",
    "invalid_visitor_id",
    "message_too_long",
    "missing_token",
    "invalid_key",
    "key_revoked",
    "key_expired",
    "invalid_session",
    "session_expired",
    "session_revoked",
    "missing_scope",
    "origin_required",
    "origin_not_allowed",
    "widget_disabled",
    "not_found",
    "method_not_allowed",
    "agent_in_use",
    "publishable_key_revoked",
    "payload_too_large",
    "unsupported_media_type",
    "rate_limited",
    "budget_exhausted",
    "too_many_streams",
    "internal",
    "unavailable",
    "runtime_unavailable",
    "runtime_error",
    "runtime_timeout",
];

impl ErrorCode {
    /// The code as it is on the wire, e.g. `origin_not_allowed`.
    pub fn as_str(&self) -> &str {
        match (self, self.index()) {
            (ErrorCode::Other(code), _) => code,
            (_, index) => NAMES.get(index).copied().unwrap_or_default(),
        }
    }

    /// The known code named `name`, if there is one.
    fn known(name: &str) -> Option<ErrorCode> {
        NAMES
            .iter()
            .position(|known| *known == name)
            .and_then(ErrorCode::at)
    }

    /// A known code's place in [`NAMES`] (past its end for `Other`).
    fn index(&self) -> usize {
        match self {
            ErrorCode::Network => 0,
            ErrorCode::Protocol => 1,
            ErrorCode::InvalidArgument => 2,
            ErrorCode::HttpError => 3,
            ErrorCode::InvalidJson => 4,
            ErrorCode::InvalidBody => 5,
            ErrorCode::InvalidQuery => 6,
            ErrorCode::InvalidSetting => 7,
            ErrorCode::RuntimeKeyRequired => 8,
            ErrorCode::CredentialsInUrl => 9,
            ErrorCode::RuntimeNotAllowed => 10,
            ErrorCode::InvalidScopes => 11,
            ErrorCode::InvalidGrace => 12,
            ErrorCode::InvalidBatch => 13,
            ErrorCode::BatchTooLarge => 14,
            ErrorCode::InvalidThread => 15,
            ErrorCode::InvalidVisitorId => 16,
            ErrorCode::MessageTooLong => 17,
            ErrorCode::MissingToken => 18,
            ErrorCode::InvalidKey => 19,
            ErrorCode::KeyRevoked => 20,
            ErrorCode::KeyExpired => 21,
            ErrorCode::InvalidSession => 22,
            ErrorCode::SessionExpired => 23,
            ErrorCode::SessionRevoked => 24,
            ErrorCode::MissingScope => 25,
            ErrorCode::OriginRequired => 26,
            ErrorCode::OriginNotAllowed => 27,
            ErrorCode::WidgetDisabled => 28,
            ErrorCode::NotFound => 29,
            ErrorCode::MethodNotAllowed => 30,
            ErrorCode::AgentInUse => 31,
            ErrorCode::PublishableKeyRevoked => 32,
            ErrorCode::PayloadTooLarge => 33,
            ErrorCode::UnsupportedMediaType => 34,
            ErrorCode::RateLimited => 35,
            ErrorCode::BudgetExhausted => 36,
            ErrorCode::TooManyStreams => 37,
            ErrorCode::Internal => 38,
            ErrorCode::Unavailable => 39,
            ErrorCode::RuntimeUnavailable => 40,
            ErrorCode::RuntimeError => 41,
            ErrorCode::RuntimeTimeout => 42,
            ErrorCode::Other(_) => usize::MAX,
        }
    }

    /// The known code at `index` in [`NAMES`].
    fn at(index: usize) -> Option<ErrorCode> {
        Some(match index {
            0 => ErrorCode::Network,
            1 => ErrorCode::Protocol,
            2 => ErrorCode::InvalidArgument,
            3 => ErrorCode::HttpError,
            4 => ErrorCode::InvalidJson,
            5 => ErrorCode::InvalidBody,
            6 => ErrorCode::InvalidQuery,
            7 => ErrorCode::InvalidSetting,
            8 => ErrorCode::RuntimeKeyRequired,
            9 => ErrorCode::CredentialsInUrl,
            10 => ErrorCode::RuntimeNotAllowed,
            11 => ErrorCode::InvalidScopes,
            12 => ErrorCode::InvalidGrace,
            13 => ErrorCode::InvalidBatch,
            14 => ErrorCode::BatchTooLarge,
            15 => ErrorCode::InvalidThread,
            16 => ErrorCode::InvalidVisitorId,
            17 => ErrorCode::MessageTooLong,
            18 => ErrorCode::MissingToken,
            19 => ErrorCode::InvalidKey,
            20 => ErrorCode::KeyRevoked,
            21 => ErrorCode::KeyExpired,
            22 => ErrorCode::InvalidSession,
            23 => ErrorCode::SessionExpired,
            24 => ErrorCode::SessionRevoked,
            25 => ErrorCode::MissingScope,
            26 => ErrorCode::OriginRequired,
            27 => ErrorCode::OriginNotAllowed,
            28 => ErrorCode::WidgetDisabled,
            29 => ErrorCode::NotFound,
            30 => ErrorCode::MethodNotAllowed,
            31 => ErrorCode::AgentInUse,
            32 => ErrorCode::PublishableKeyRevoked,
            33 => ErrorCode::PayloadTooLarge,
            34 => ErrorCode::UnsupportedMediaType,
            35 => ErrorCode::RateLimited,
            36 => ErrorCode::BudgetExhausted,
            37 => ErrorCode::TooManyStreams,
            38 => ErrorCode::Internal,
            39 => ErrorCode::Unavailable,
            40 => ErrorCode::RuntimeUnavailable,
            41 => ErrorCode::RuntimeError,
            42 => ErrorCode::RuntimeTimeout,
            _ => return None,
        })
    }
}

impl From<&str> for ErrorCode {
    fn from(name: &str) -> Self {
        ErrorCode::known(name).unwrap_or_else(|| ErrorCode::Other(name.to_owned()))
    }
}

impl From<String> for ErrorCode {
    /// Keeps `name`'s allocation for a code this SDK does not know.
    fn from(name: String) -> Self {
        match ErrorCode::known(&name) {
            Some(code) => code,
            None => ErrorCode::Other(name),
        }
    }
}

impl std::str::FromStr for ErrorCode {
    type Err = std::convert::Infallible;

    /// Every string is a code: an unknown one is [`ErrorCode::Other`].
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(ErrorCode::from(name))
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(ErrorCode::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every known code and its string on the wire, written out: a renamed
    /// string fails here before it reaches a client.
    const WIRE: [(ErrorCode, &str); 43] = [
        (ErrorCode::Network, "network"),
        (ErrorCode::Protocol, "protocol"),
        (ErrorCode::InvalidArgument, "invalid_argument"),
        (ErrorCode::HttpError, "http_error"),
        (ErrorCode::InvalidJson, "invalid_json"),
        (ErrorCode::InvalidBody, "invalid_body"),
        (ErrorCode::InvalidQuery, "invalid_query"),
        (ErrorCode::InvalidSetting, "invalid_setting"),
        (ErrorCode::RuntimeKeyRequired, "runtime_key_required"),
        (ErrorCode::CredentialsInUrl, "credentials_in_url"),
        (ErrorCode::RuntimeNotAllowed, "runtime_not_allowed"),
        (ErrorCode::InvalidScopes, "invalid_scopes"),
        (ErrorCode::InvalidGrace, "invalid_grace"),
        (ErrorCode::InvalidBatch, "invalid_batch"),
        (ErrorCode::BatchTooLarge, "batch_too_large"),
        (ErrorCode::InvalidThread, "invalid_thread"),
        (ErrorCode::InvalidVisitorId, "invalid_visitor_id"),
        (ErrorCode::MessageTooLong, "message_too_long"),
        (ErrorCode::MissingToken, "missing_token"),
        (ErrorCode::InvalidKey, "invalid_key"),
        (ErrorCode::KeyRevoked, "key_revoked"),
        (ErrorCode::KeyExpired, "key_expired"),
        (ErrorCode::InvalidSession, "invalid_session"),
        (ErrorCode::SessionExpired, "session_expired"),
        (ErrorCode::SessionRevoked, "session_revoked"),
        (ErrorCode::MissingScope, "missing_scope"),
        (ErrorCode::OriginRequired, "origin_required"),
        (ErrorCode::OriginNotAllowed, "origin_not_allowed"),
        (ErrorCode::WidgetDisabled, "widget_disabled"),
        (ErrorCode::NotFound, "not_found"),
        (ErrorCode::MethodNotAllowed, "method_not_allowed"),
        (ErrorCode::AgentInUse, "agent_in_use"),
        (ErrorCode::PublishableKeyRevoked, "publishable_key_revoked"),
        (ErrorCode::PayloadTooLarge, "payload_too_large"),
        (ErrorCode::UnsupportedMediaType, "unsupported_media_type"),
        (ErrorCode::RateLimited, "rate_limited"),
        (ErrorCode::BudgetExhausted, "budget_exhausted"),
        (ErrorCode::TooManyStreams, "too_many_streams"),
        (ErrorCode::Internal, "internal"),
        (ErrorCode::Unavailable, "unavailable"),
        (ErrorCode::RuntimeUnavailable, "runtime_unavailable"),
        (ErrorCode::RuntimeError, "runtime_error"),
        (ErrorCode::RuntimeTimeout, "runtime_timeout"),
    ];

    #[test]
    fn every_known_code_round_trips_through_serde_as_its_wire_string() {
        for (code, wire) in WIRE {
            let json = format!("\"{wire}\"");
            assert_eq!(serde_json::to_string(&code).unwrap(), json, "{code:?}");
            assert_eq!(
                serde_json::from_str::<ErrorCode>(&json).unwrap(),
                code,
                "{wire}"
            );
            assert_eq!(code.as_str(), wire);
            assert_eq!(code.to_string(), wire);
            assert_eq!(ErrorCode::from(wire), code);
            assert_eq!(ErrorCode::from(wire.to_owned()), code);
            assert_eq!(wire.parse::<ErrorCode>(), Ok(code.clone()));
            assert!(code == wire && code == *wire, "{code:?} == {wire}");
        }
    }

    #[test]
    fn every_known_code_is_listed_once_and_in_the_wire_table() {
        let mut wires: Vec<&str> = WIRE.iter().map(|(_, wire)| *wire).collect();
        wires.sort_unstable();
        wires.dedup();
        assert_eq!(wires.len(), WIRE.len(), "a string is listed twice");
        // Every place in `NAMES` is a known code, each with its own place.
        assert_eq!(NAMES.len(), WIRE.len());
        for (index, name) in NAMES.iter().enumerate() {
            let code = ErrorCode::at(index).unwrap();
            assert_eq!(code.index(), index, "{code:?}");
            assert!(WIRE.contains(&(code, *name)), "{name}");
        }
        assert_eq!(ErrorCode::at(NAMES.len()), None);
    }

    #[test]
    fn an_unknown_code_parses_to_other_and_serialises_back_unchanged() {
        for wire in [
            "budget_exceeded",
            "",
            "Rate_Limited",
            "rate_limited ",
            "über_quota",
        ] {
            let json = serde_json::to_string(wire).unwrap();
            let code: ErrorCode = serde_json::from_str(&json).unwrap();
            assert_eq!(code, ErrorCode::Other(wire.to_owned()));
            assert_eq!(serde_json::to_string(&code).unwrap(), json);
            assert_eq!(code.as_str(), wire);
            assert_eq!(ErrorCode::from(wire), code);
        }
        assert!(
            serde_json::from_str::<ErrorCode>("7").is_err(),
            "a code is a string"
        );
    }

    #[test]
    fn a_code_in_an_error_body_reads_and_writes_as_today() {
        #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        struct Detail {
            code: ErrorCode,
            message: String,
        }
        let text = r#"{"code":"origin_not_allowed","message":"not here"}"#;
        let detail: Detail = serde_json::from_str(text).unwrap();
        assert_eq!(detail.code, ErrorCode::OriginNotAllowed);
        assert_eq!(serde_json::to_string(&detail).unwrap(), text);
    }
}
