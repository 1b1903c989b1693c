//! Who may use a widget from a browser: the publishable key, the widget's state and
//! the page's origin, checked in that order; then the session token it was given.

use axum::http::{HeaderMap, header};
use sitekit_sdk::ErrorCode;

use crate::chat::session::{SessionClaims, SessionError};
use crate::db::now_unix;
use crate::error::ApiError;
use crate::keys::scopes::Scope;
use crate::keys::{KeyKind, KeyMode, ParsedKey};
use crate::state::AppState;
use crate::widgets::origin::Origin;
use crate::widgets::{PublishableKeyRecord, Widget};

/// The widget behind `key_text`, if the page at `origin` may use it.
pub async fn widget_for_page(
    state: &AppState,
    key_text: &str,
    origin: &Origin,
) -> Result<(Widget, PublishableKeyRecord), ApiError> {
    let key = ParsedKey::parse(key_text).map_err(|error| {
        ApiError::unauthorized(
            ErrorCode::InvalidKey,
            format!("the publishable key is not valid: {error}"),
        )
    })?;
    if key.kind != KeyKind::Publishable {
        // A secret key in a web page is a leak waiting to happen; refuse loudly.
        return Err(ApiError::unauthorized(
            ErrorCode::InvalidKey,
            "only publishable keys (skt_pub_…) may be used in web pages",
        ));
    }
    let (widget, record) = state
        .db
        .widget_by_publishable_key(&key)
        .await?
        .ok_or_else(|| {
            ApiError::unauthorized(ErrorCode::InvalidKey, "no widget has this publishable key")
        })?;
    if record.revoked {
        return Err(ApiError::unauthorized(
            ErrorCode::KeyRevoked,
            "this publishable key has been revoked",
        ));
    }
    if record.expires_at.is_some_and(|at| at <= now_unix()) {
        return Err(ApiError::unauthorized(
            ErrorCode::KeyExpired,
            "this publishable key was replaced and its grace period is over; paste the widget's new snippet",
        ));
    }
    if !widget.enabled {
        return Err(ApiError::forbidden(
            ErrorCode::WidgetDisabled,
            "this widget is disabled",
        ));
    }
    if !widget
        .allowed_origins
        .allows(origin, key.mode == KeyMode::Test)
    {
        return Err(ApiError::forbidden(
            ErrorCode::OriginNotAllowed,
            format!(
                "the origin {origin} is not allowed for this widget; add it to the widget's allowed origins"
            ),
        ));
    }
    Ok((widget, record))
}

/// The session a browser request carries, if it is valid, still live, has
/// `scope`, and comes from the origin it was minted for. Touches no database.
pub fn session_of(
    state: &AppState,
    token: &str,
    headers: &HeaderMap,
    scope: Scope,
) -> Result<SessionClaims, ApiError> {
    session_with_any_of(state, token, headers, &[scope])
}

/// [`session_of`] for a route that several scopes open (the usage events take
/// a session token or its usage token).
pub fn session_with_any_of(
    state: &AppState,
    token: &str,
    headers: &HeaderMap,
    scopes: &[Scope],
) -> Result<SessionClaims, ApiError> {
    let claims = state
        .signer
        .get()
        .verify(token, now_unix())
        .map_err(|error| match error {
            SessionError::Expired => ApiError::unauthorized(
                ErrorCode::SessionExpired,
                "the session has expired; start a new one",
            ),
            SessionError::Invalid => {
                ApiError::unauthorized(ErrorCode::InvalidSession, "the session token is not valid")
            }
        })?;
    state.keys.check(&claims.key_id, claims.key_generation)?;
    if !scopes.iter().any(|scope| claims.scopes.contains(*scope)) {
        let named: Vec<String> = scopes.iter().map(|scope| format!("`{scope}`")).collect();
        return Err(ApiError::forbidden(
            ErrorCode::MissingScope,
            format!("this session lacks the {} scope", named.join(" or ")),
        ));
    }
    // A browser always sends Origin on cross-site requests; a token lifted from
    // one site must not work from another.
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok())
        && origin != claims.origin
    {
        return Err(ApiError::forbidden(
            ErrorCode::OriginNotAllowed,
            "this session belongs to another origin",
        ));
    }
    Ok(claims)
}
