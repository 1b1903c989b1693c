//! Who is calling the admin API or the operator's API: a key in
//! `Authorization: Bearer`, or a signed-in person's dashboard session cookie,
//! checked after a per-address limit and before any operation. An
//! organisation's secret or restricted key, or a member's session, becomes a
//! [`Caller`] (its tenant and scopes); an operator key an [`OperatorCaller`].
//! Neither kind opens the other's routes. A session's writes must carry its
//! CSRF token and come from the server's own pages.

use std::net::IpAddr;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use sitekit_sdk::ErrorCode;

use crate::audit;
use crate::client_ip::ClientIp;
use crate::db::now_unix;
use crate::error::ApiError;
use crate::extract::BearerToken;
use crate::keys::{Caller, KeyKind, ParsedKey};
use crate::operator::OperatorCaller;
use crate::people::{Person, sessions};
use crate::state::AppState;

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let (state, client) = counted_client(parts, state).await?;
        // A key, when one is presented, decides; otherwise the session cookie.
        if !parts.headers.contains_key(header::AUTHORIZATION)
            && session_token(&parts.headers).is_some()
        {
            let caller = signed_in(parts, &state).await?.caller();
            return Ok(for_the_audit_trail(parts, caller, client));
        }
        let key = presented_key(parts, &state).await?;
        match key.kind {
            KeyKind::Secret | KeyKind::Restricted => {}
            KeyKind::Publishable => {
                return Err(wrong_kind(
                    "the admin API takes secret (skt_sec_…) or restricted (skt_rst_…) keys",
                ));
            }
            KeyKind::Operator => {
                return Err(wrong_kind(
                    "an operator key (skt_op_…) opens only the operator's API, /v1/operator/…; \
                     make the organisation a key of its own there",
                ));
            }
        }
        let record = state.db.admin_key(&key).await?.ok_or_else(no_such_key)?;
        usable(record.revoked, record.expires_at)?;
        state.limits.admin_request(&record.id).await?;
        Ok(for_the_audit_trail(
            parts,
            Caller::key(record, key.kind),
            client,
        ))
    }
}

/// Tells the audit layer whose request this is (a write is recorded as theirs).
fn for_the_audit_trail(parts: &Parts, caller: Caller, client: IpAddr) -> Caller {
    if let Some(pending) = parts.extensions.get::<audit::Pending>() {
        pending.identify(&caller, &client.to_string());
    }
    caller
}

impl<S> FromRequestParts<S> for OperatorCaller
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let (state, _) = counted_client(parts, state).await?;
        let key = presented_key(parts, &state).await?;
        if key.kind != KeyKind::Operator {
            return Err(wrong_kind(
                "the operator's API takes operator keys (skt_op_…), which `sitekit operator-keys \
                 create` makes on the server's machine",
            ));
        }
        let record = state.db.operator_key(&key).await?.ok_or_else(no_such_key)?;
        usable(record.revoked, record.expires_at)?;
        state.limits.admin_request(&record.id).await?;
        Ok(OperatorCaller::key(record))
    }
}

/// The state and the client's address, once the address is within its limit
/// (counted once a request, before any key or session is looked up).
async fn counted_client<S>(parts: &mut Parts, state: &S) -> Result<(AppState, IpAddr), ApiError>
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    let ClientIp(client) = ClientIp::from_request_parts(parts, state).await?;
    let state = AppState::from_ref(state);
    state.limits.admin_request_from(client).await?;
    Ok((state, client))
}

/// The key in the request, well formed.
async fn presented_key(parts: &mut Parts, state: &AppState) -> Result<ParsedKey, ApiError> {
    let BearerToken(token) = BearerToken::from_request_parts(parts, state).await?;
    ParsedKey::parse(&token).map_err(|error| {
        ApiError::unauthorized(
            ErrorCode::InvalidKey,
            format!("the key is not valid: {error}"),
        )
    })
}

fn wrong_kind(message: &str) -> ApiError {
    ApiError::unauthorized(ErrorCode::InvalidKey, message)
}

fn no_such_key() -> ApiError {
    ApiError::unauthorized(ErrorCode::InvalidKey, "no such key")
}

/// 401 unless a key found is neither revoked nor expired.
fn usable(revoked: bool, expires_at: Option<i64>) -> Result<(), ApiError> {
    if revoked {
        return Err(ApiError::unauthorized(
            ErrorCode::KeyRevoked,
            "this key has been revoked",
        ));
    }
    if expires_at.is_some_and(|at| at <= now_unix()) {
        return Err(ApiError::unauthorized(
            ErrorCode::KeyExpired,
            "this key has expired",
        ));
    }
    Ok(())
}

impl<S> FromRequestParts<S> for Person
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let (state, _) = counted_client(parts, state).await?;
        signed_in(parts, &state).await
    }
}

/// The signed-in person of the request's session cookie; for a write, only
/// with the session's CSRF token, from one of the server's own pages.
async fn signed_in(parts: &Parts, state: &AppState) -> Result<Person, ApiError> {
    let token = session_token(&parts.headers).ok_or_else(|| {
        ApiError::unauthorized(ErrorCode::SignInRequired, "sign in to the dashboard first")
    })?;
    let person = state.people.person(&state.db, token).await?;
    if !is_read(&parts.method) {
        same_site_write(parts, token, &state.public_url)?;
    }
    state
        .limits
        .admin_request(&format!("person:{}", person.member.subject))
        .await?;
    Ok(person)
}

/// The dashboard session's token from the request's cookies, if it has one.
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    let cookies = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok());
    sessions::token_from_cookies(cookies)
}

fn is_read(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// 403 `csrf_rejected` unless a write comes from this server's own pages: not
/// marked cross-site by the browser, from the server's origin when the
/// browser names one, and with the session's CSRF token, which only the
/// dashboard's script can read.
fn same_site_write(parts: &Parts, token: &str, public_url: &str) -> Result<(), ApiError> {
    // Every value of a header counts: a second one must not hide the first.
    let values = |name: &str| {
        parts
            .headers
            .get_all(name)
            .iter()
            .map(|value| value.to_str().unwrap_or_default())
    };
    let refused = |why: &str| {
        ApiError::forbidden(
            ErrorCode::CsrfRejected,
            format!("{why}; reload the dashboard"),
        )
    };
    if values("sec-fetch-site").any(|site| site != "same-origin" && site != "none") {
        return Err(refused("a write from another site is refused"));
    }
    if values(header::ORIGIN.as_str()).any(|origin| !same_origin(origin, public_url)) {
        return Err(refused("a write from another origin is refused"));
    }
    let mut tokens = values(sessions::CSRF_HEADER);
    match (tokens.next(), tokens.next()) {
        (Some(presented), None) if sessions::csrf_matches(token, presented) => Ok(()),
        (Some(_), _) => Err(refused("the CSRF token is not this sign-in's")),
        (None, _) => Err(refused(
            "a write needs the sign-in's CSRF token (X-CSRF-Token)",
        )),
    }
}

/// Whether `origin` (as a browser sends it) is the origin of `public_url`.
fn same_origin(origin: &str, public_url: &str) -> bool {
    match (url::Url::parse(origin), url::Url::parse(public_url)) {
        (Ok(origin), Ok(public)) => origin.origin() == public.origin(),
        _ => false,
    }
}
