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
/// (`code == "rate_limited"`). An [`Error`](crate::Error) keeps its code as
/// the text that came: [`Error::code`](crate::Error::code) reads it into an
/// `ErrorCode`, [`Error::is`](crate::Error::is) compares it with one.
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
    /// An agent's base URL carries a user name, password, query or fragment,
    /// or a webhook endpoint's URL a user name or password.
    CredentialsInUrl,
    /// An agent's base URL is outside the server's runtime egress policy.
    RuntimeNotAllowed,
    /// A webhook endpoint's URL is not `https://` (nor `http://` to a host the
    /// operator allows), or is outside the server's egress policy.
    WebhookUrlNotAllowed,
    /// The organisation has as many webhook endpoints as the server allows.
    TooManyWebhooks,
    /// A new key's scopes are unknown or not allowed for its kind of key.
    InvalidScopes,
    /// A key rotation's grace period is longer than the server allows.
    InvalidGrace,
    /// The operator's command creates something on the local database and
    /// names no tenant to create it in.
    TenantRequired,
    /// A usage batch is not a JSON array of CloudEvents.
    InvalidBatch,
    /// A usage batch has more events than the server takes at once.
    BatchTooLarge,
    /// A thread id is empty, too long or has control characters.
    InvalidThread,
    /// A visitor's contact details break the form's rules (the message says
    /// which field).
    InvalidLead,
    /// The widget asks for no contact details.
    LeadFormOff,
    /// The visitor left contact details in this conversation already.
    LeadExists,
    /// The widget offers no "talk to a person" button.
    HandoffOff,
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
    /// The dashboard needs a signed-in person: no sign-in session, or one
    /// that ended (signed out, idle too long, past its lifetime).
    SignInRequired,
    /// Signing in with the identity provider failed: a state not issued or
    /// used already, or an ID token that does not verify.
    SignInFailed,
    /// The person signed in but is a member of no organisation here.
    NotAMember,
    /// A write with a sign-in session lacked the session's CSRF token, or came
    /// from another site.
    CsrfRejected,

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
    /// The marketplace the widget was bought on paused it (over the
    /// purchase's limit) until it restores it.
    WidgetPaused,
    /// Only an organisation that sells agents may publish them.
    NotASeller,
    /// Only an organisation that buys agents may subscribe to them.
    NotABuyer,

    // 404, 405, 409, 413, 415.
    /// No such route or resource (or one of another tenant).
    NotFound,
    /// The route does not accept that method.
    MethodNotAllowed,
    /// An agent that widgets still use cannot be deleted.
    AgentInUse,
    /// A withdrawn published agent takes no new subscriptions.
    AgentWithdrawn,
    /// The published agent has no such version (yet): it cannot be pinned or
    /// released.
    UnknownVersion,
    /// Another organisation, with other roles, has this external id.
    ExternalIdInUse,
    /// The change would leave the organisation without an owner.
    LastOwner,
    /// The membership comes from the identity provider's claim: it changes
    /// there, not here.
    ManagedByIdentityProvider,
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
    /// The connection to the server broke while a run streamed (the server
    /// stopped, the network went away): the SDK ends the run with this
    /// `RUN_ERROR` itself, as the server could not.
    ConnectionLost,

    /// A code this SDK does not know, e.g. one a newer server added; kept as sent.
    Other(String),
}

/// Every known code, in the order of the variants: what [`ErrorCode::from`]
/// looks a name up in.
const KNOWN: [ErrorCode; 63] = [
    ErrorCode::Network,
    ErrorCode::Protocol,
    ErrorCode::InvalidArgument,
    ErrorCode::HttpError,
    ErrorCode::InvalidJson,
    ErrorCode::InvalidBody,
    ErrorCode::InvalidQuery,
    ErrorCode::InvalidSetting,
    ErrorCode::RuntimeKeyRequired,
    ErrorCode::CredentialsInUrl,
    ErrorCode::RuntimeNotAllowed,
    ErrorCode::WebhookUrlNotAllowed,
    ErrorCode::TooManyWebhooks,
    ErrorCode::InvalidScopes,
    ErrorCode::InvalidGrace,
    ErrorCode::TenantRequired,
    ErrorCode::InvalidBatch,
    ErrorCode::BatchTooLarge,
    ErrorCode::InvalidThread,
    ErrorCode::InvalidLead,
    ErrorCode::LeadFormOff,
    ErrorCode::LeadExists,
    ErrorCode::HandoffOff,
    ErrorCode::InvalidVisitorId,
    ErrorCode::MessageTooLong,
    ErrorCode::MissingToken,
    ErrorCode::InvalidKey,
    ErrorCode::KeyRevoked,
    ErrorCode::KeyExpired,
    ErrorCode::InvalidSession,
    ErrorCode::SessionExpired,
    ErrorCode::SessionRevoked,
    ErrorCode::SignInRequired,
    ErrorCode::SignInFailed,
    ErrorCode::NotAMember,
    ErrorCode::CsrfRejected,
    ErrorCode::MissingScope,
    ErrorCode::OriginRequired,
    ErrorCode::OriginNotAllowed,
    ErrorCode::WidgetDisabled,
    ErrorCode::WidgetPaused,
    ErrorCode::NotASeller,
    ErrorCode::NotABuyer,
    ErrorCode::NotFound,
    ErrorCode::MethodNotAllowed,
    ErrorCode::AgentInUse,
    ErrorCode::AgentWithdrawn,
    ErrorCode::UnknownVersion,
    ErrorCode::ExternalIdInUse,
    ErrorCode::LastOwner,
    ErrorCode::ManagedByIdentityProvider,
    ErrorCode::PublishableKeyRevoked,
    ErrorCode::PayloadTooLarge,
    ErrorCode::UnsupportedMediaType,
    ErrorCode::RateLimited,
    ErrorCode::BudgetExhausted,
    ErrorCode::TooManyStreams,
    ErrorCode::Internal,
    ErrorCode::Unavailable,
    ErrorCode::RuntimeUnavailable,
    ErrorCode::RuntimeError,
    ErrorCode::RuntimeTimeout,
    ErrorCode::ConnectionLost,
];

impl ErrorCode {
    /// The code as it is on the wire, e.g. `origin_not_allowed`.
    ///
    /// Always inlined, so that for a constant variant it folds to that one
    /// name: `error.is(ErrorCode::RateLimited)` compiles to a comparison with
    /// `"rate_limited"`, and a Wasm build that only compares codes carries only
    /// the names it compares with (the widget's does), not all of them. A
    /// `const fn`, so a name can also be a `const` (and so a `match` pattern).
    #[inline(always)]
    pub const fn as_str(&self) -> &str {
        match self {
            ErrorCode::Network => "network",
            ErrorCode::Protocol => "protocol",
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::HttpError => "http_error",
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::InvalidBody => "invalid_body",
            ErrorCode::InvalidQuery => "invalid_query",
            ErrorCode::InvalidSetting => "invalid_setting",
            ErrorCode::RuntimeKeyRequired => "runtime_key_required",
            ErrorCode::CredentialsInUrl => "credentials_in_url",
            ErrorCode::RuntimeNotAllowed => "runtime_not_allowed",
            ErrorCode::WebhookUrlNotAllowed => "webhook_url_not_allowed",
            ErrorCode::TooManyWebhooks => "too_many_webhooks",
            ErrorCode::InvalidScopes => "invalid_scopes",
            ErrorCode::InvalidGrace => "invalid_grace",
            ErrorCode::TenantRequired => "tenant_required",
            ErrorCode::InvalidBatch => "invalid_batch",
            ErrorCode::BatchTooLarge => "batch_too_large",
            ErrorCode::InvalidThread => "invalid_thread",
            ErrorCode::InvalidLead => "invalid_lead",
            ErrorCode::LeadFormOff => "lead_form_off",
            ErrorCode::LeadExists => "lead_exists",
            ErrorCode::HandoffOff => "handoff_off",
            ErrorCode::InvalidVisitorId => "invalid_visitor_id",
            ErrorCode::MessageTooLong => "message_too_long",
            ErrorCode::MissingToken => "missing_token",
            ErrorCode::InvalidKey => "invalid_key",
            ErrorCode::KeyRevoked => "key_revoked",
            ErrorCode::KeyExpired => "key_expired",
            ErrorCode::InvalidSession => "invalid_session",
            ErrorCode::SessionExpired => "session_expired",
            ErrorCode::SessionRevoked => "session_revoked",
            ErrorCode::SignInRequired => "sign_in_required",
            ErrorCode::SignInFailed => "sign_in_failed",
            ErrorCode::NotAMember => "not_a_member",
            ErrorCode::CsrfRejected => "csrf_rejected",
            ErrorCode::MissingScope => "missing_scope",
            ErrorCode::OriginRequired => "origin_required",
            ErrorCode::OriginNotAllowed => "origin_not_allowed",
            ErrorCode::WidgetDisabled => "widget_disabled",
            ErrorCode::WidgetPaused => "widget_paused",
            ErrorCode::NotASeller => "not_a_seller",
            ErrorCode::NotABuyer => "not_a_buyer",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::AgentInUse => "agent_in_use",
            ErrorCode::AgentWithdrawn => "agent_withdrawn",
            ErrorCode::UnknownVersion => "unknown_version",
            ErrorCode::ExternalIdInUse => "external_id_in_use",
            ErrorCode::LastOwner => "last_owner",
            ErrorCode::ManagedByIdentityProvider => "managed_by_identity_provider",
            ErrorCode::PublishableKeyRevoked => "publishable_key_revoked",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::BudgetExhausted => "budget_exhausted",
            ErrorCode::TooManyStreams => "too_many_streams",
            ErrorCode::Internal => "internal",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::RuntimeUnavailable => "runtime_unavailable",
            ErrorCode::RuntimeError => "runtime_error",
            ErrorCode::RuntimeTimeout => "runtime_timeout",
            ErrorCode::ConnectionLost => "connection_lost",
            ErrorCode::Other(code) => code.as_str(),
        }
    }

    /// The known code named `name`, if there is one.
    fn known(name: &str) -> Option<ErrorCode> {
        KNOWN.iter().find(|code| code.as_str() == name).cloned()
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
    const WIRE: [(ErrorCode, &str); 63] = [
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
        (ErrorCode::WebhookUrlNotAllowed, "webhook_url_not_allowed"),
        (ErrorCode::TooManyWebhooks, "too_many_webhooks"),
        (ErrorCode::InvalidScopes, "invalid_scopes"),
        (ErrorCode::InvalidGrace, "invalid_grace"),
        (ErrorCode::TenantRequired, "tenant_required"),
        (ErrorCode::InvalidBatch, "invalid_batch"),
        (ErrorCode::BatchTooLarge, "batch_too_large"),
        (ErrorCode::InvalidThread, "invalid_thread"),
        (ErrorCode::InvalidLead, "invalid_lead"),
        (ErrorCode::LeadFormOff, "lead_form_off"),
        (ErrorCode::LeadExists, "lead_exists"),
        (ErrorCode::HandoffOff, "handoff_off"),
        (ErrorCode::InvalidVisitorId, "invalid_visitor_id"),
        (ErrorCode::MessageTooLong, "message_too_long"),
        (ErrorCode::MissingToken, "missing_token"),
        (ErrorCode::InvalidKey, "invalid_key"),
        (ErrorCode::KeyRevoked, "key_revoked"),
        (ErrorCode::KeyExpired, "key_expired"),
        (ErrorCode::InvalidSession, "invalid_session"),
        (ErrorCode::SessionExpired, "session_expired"),
        (ErrorCode::SessionRevoked, "session_revoked"),
        (ErrorCode::SignInRequired, "sign_in_required"),
        (ErrorCode::SignInFailed, "sign_in_failed"),
        (ErrorCode::NotAMember, "not_a_member"),
        (ErrorCode::CsrfRejected, "csrf_rejected"),
        (ErrorCode::MissingScope, "missing_scope"),
        (ErrorCode::OriginRequired, "origin_required"),
        (ErrorCode::OriginNotAllowed, "origin_not_allowed"),
        (ErrorCode::WidgetDisabled, "widget_disabled"),
        (ErrorCode::WidgetPaused, "widget_paused"),
        (ErrorCode::NotASeller, "not_a_seller"),
        (ErrorCode::NotABuyer, "not_a_buyer"),
        (ErrorCode::NotFound, "not_found"),
        (ErrorCode::MethodNotAllowed, "method_not_allowed"),
        (ErrorCode::AgentInUse, "agent_in_use"),
        (ErrorCode::AgentWithdrawn, "agent_withdrawn"),
        (ErrorCode::UnknownVersion, "unknown_version"),
        (ErrorCode::ExternalIdInUse, "external_id_in_use"),
        (ErrorCode::LastOwner, "last_owner"),
        (
            ErrorCode::ManagedByIdentityProvider,
            "managed_by_identity_provider",
        ),
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
        (ErrorCode::ConnectionLost, "connection_lost"),
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
        // `KNOWN`, which names are looked up in, is every known code once.
        assert_eq!(KNOWN.len(), WIRE.len());
        for (known, (code, _)) in KNOWN.iter().zip(&WIRE) {
            assert_eq!(known, code);
        }
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
