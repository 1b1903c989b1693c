//! Signing people in to the dashboard with the install's identity provider
//! (OpenID Connect): `GET /v1/auth/login` sends the browser to the provider,
//! `GET /v1/auth/callback` takes it back and sets the session cookie,
//! `GET /v1/auth/me` says who is signed in (with the CSRF token writes need),
//! `POST /v1/auth/organisation` moves the session to another organisation of
//! the person's, `POST /v1/auth/logout` ends the session here and names the
//! provider's sign-out page; `GET /v1/auth/methods` tells the sign-in page which ways in
//! this server offers.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sitekit_sdk::ErrorCode;
use sitekit_sdk::wire::ErrorBody;
use utoipa::{IntoParams, ToSchema};

use crate::client_ip::ClientIp;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::people::{Person, sessions};
use crate::routes::caller::session_token;
use crate::state::AppState;

/// Where people land after signing in, unless they asked for another page.
const DASHBOARD: &str = "/dashboard";
/// The longest `returnTo` taken.
const RETURN_TO_MAX: usize = 512;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LoginQuery {
    /// A path on this server to land on afterwards (default `/dashboard`).
    #[param(
        max_length = 512,
        pattern = r"^/([^/\\\u0000-\u001f\u007f-\u009f][^\\\u0000-\u001f\u007f-\u009f]*)?$"
    )]
    return_to: Option<String>,
    /// An invitation link's token: the sign-in accepts the invitation.
    #[param(min_length = 1, max_length = 64)]
    invitation: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/auth/login",
    operation_id = "signIn",
    tag = "dashboard",
    summary = "Sign in with the identity provider: redirects to its sign-in page",
    params(LoginQuery),
    responses(
        (status = 303, description = "To the identity provider's sign-in page. A browser's navigation that fails lands on `/dashboard#signInFailed=<code>` instead of an error below"),
        (status = 400, description = "A `returnTo` that is not a path here, or a malformed query", body = ErrorBody),
        (status = 404, description = "This server has no identity provider", body = ErrorBody),
        (status = 429, description = "Too many requests from this address", body = ErrorBody),
        (status = 503, description = "The identity provider cannot be reached", body = ErrorBody),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<LoginQuery>,
) -> Result<Response, ApiError> {
    for_browsers(&headers, start_sign_in(&state, client, query).await)
}

async fn start_sign_in(
    state: &AppState,
    client: std::net::IpAddr,
    query: LoginQuery,
) -> Result<Response, ApiError> {
    state.limits.admin_request_from(client).await?;
    let return_to = local_path(query.return_to.as_deref().unwrap_or(DASHBOARD))?;
    let invitation = query.invitation.as_deref();
    if invitation.is_some_and(|token| token.is_empty() || token.chars().count() > 64) {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidQuery,
            "`invitation` is the token of an invitation link",
        ));
    }
    let url = state
        .people
        .start_sign_in(&state.db, return_to, invitation)
        .await?;
    Ok(see_other(&url, None))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The authorization code.
    #[param(max_length = 2048)]
    code: Option<String>,
    /// The state this server sent the provider.
    #[param(max_length = 256)]
    state: Option<String>,
    /// The provider's error, when the sign-in did not happen.
    #[param(max_length = 256)]
    error: Option<String>,
    #[param(max_length = 1024)]
    error_description: Option<String>,
}

impl CallbackQuery {
    /// The lengths the parameters' schema gives, held.
    fn check_lengths(&self) -> Result<(), ApiError> {
        for (name, value, max) in [
            ("code", &self.code, 2048),
            ("state", &self.state, 256),
            ("error", &self.error, 256),
            ("error_description", &self.error_description, 1024),
        ] {
            if value
                .as_ref()
                .is_some_and(|value| value.chars().count() > max)
            {
                return Err(ApiError::bad_request(
                    ErrorCode::InvalidQuery,
                    format!("`{name}` is longer than {max} characters"),
                ));
            }
        }
        Ok(())
    }
}

#[utoipa::path(
    get,
    path = "/v1/auth/callback",
    operation_id = "signInCallback",
    tag = "dashboard",
    summary = "Where the identity provider sends people back: opens their session",
    description = "Checks that the state is one this server issued and has not seen back \
        yet, trades the code (with the PKCE verifier) for the ID token, verifies its \
        signature, issuer, audience, expiry and nonce, and opens a session in the \
        person's organisation: an `HttpOnly`, `Secure`, `SameSite=Strict` cookie.",
    params(CallbackQuery),
    responses(
        (status = 303, description = "Signed in: to the dashboard, with the session cookie. A browser's navigation that fails lands on `/dashboard#signInFailed=<code>` instead of an error below"),
        (status = 400, description = "A malformed query", body = ErrorBody),
        (status = 401, description = "The sign-in failed (`sign_in_failed`): not a sign-in's answer, an unknown or used state, a refused code, an ID token that does not verify", body = ErrorBody),
        (status = 404, description = "This server has no identity provider", body = ErrorBody),
        (status = 403, description = "Signed in, but a member of no organisation here (`not_a_member`)", body = ErrorBody),
        (status = 429, description = "Too many requests from this address", body = ErrorBody),
        (status = 503, description = "The identity provider cannot be reached", body = ErrorBody),
    )
)]
pub async fn callback(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<CallbackQuery>,
) -> Result<Response, ApiError> {
    for_browsers(&headers, finish_sign_in(&state, client, query).await)
}

async fn finish_sign_in(
    state: &AppState,
    client: std::net::IpAddr,
    query: CallbackQuery,
) -> Result<Response, ApiError> {
    state.limits.admin_request_from(client).await?;
    query.check_lengths()?;
    if let Some(error) = query.error {
        let detail = query.error_description.unwrap_or_default();
        return Err(ApiError::unauthorized(
            ErrorCode::SignInFailed,
            format!("the identity provider did not sign you in: {error} {detail}")
                .trim_end()
                .to_owned(),
        ));
    }
    let (Some(sign_in), Some(code)) = (query.state, query.code) else {
        return Err(ApiError::unauthorized(
            ErrorCode::SignInFailed,
            "this is not a sign-in's answer (it carries `state` and `code`); start again",
        ));
    };
    let signed_in = state
        .people
        .finish_sign_in(&state.db, &sign_in, &code)
        .await?;
    let cookie = sessions::set_cookie(&signed_in.token, state.people.timeouts.lifetime);
    Ok(see_other(&signed_in.return_to, Some(&cookie)))
}

/// How people may sign in to the dashboard here.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignInMethods {
    /// With the identity provider (`GET /v1/auth/login`).
    single_sign_on: bool,
    /// With a secret key.
    secret_key: bool,
}

#[utoipa::path(
    get,
    path = "/v1/auth/methods",
    operation_id = "signInMethods",
    tag = "dashboard",
    summary = "How people may sign in to the dashboard: single sign-on, a secret key, or both",
    responses((status = 200, body = SignInMethods))
)]
pub async fn methods(State(state): State<AppState>) -> Json<SignInMethods> {
    Json(SignInMethods {
        single_sign_on: state.people.oidc.is_some(),
        secret_key: state.people.key_sign_in,
    })
}

/// Who is signed in, as the dashboard shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignedInPerson {
    /// The identity provider's id for the person.
    subject: String,
    email: String,
    name: String,
    /// The organisation this session acts in.
    organisation_id: String,
    /// `owner`, `admin`, `viewer` or `publisher`.
    role: String,
    /// What the role may do, as keys' scopes are named.
    scopes: Vec<String>,
    /// Send it as `X-CSRF-Token` with every write of this session.
    csrf_token: String,
    /// When the session ends at the latest (Unix seconds).
    expires_at: i64,
    /// Every organisation the person belongs to, oldest membership first;
    /// `POST /v1/auth/organisation` moves the session to another.
    organisations: Vec<Membership>,
}

/// An organisation the signed-in person belongs to.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    organisation_id: String,
    name: String,
    /// Their role there.
    role: &'static str,
}

impl SignedInPerson {
    async fn of(state: &AppState, person: Person, token: &str) -> Result<Self, ApiError> {
        let organisations = state
            .db
            .organisations_of(&person.member.subject)
            .await?
            .into_iter()
            .map(|(organisation_id, name, role)| Membership {
                organisation_id,
                name,
                role: role.as_str(),
            })
            .collect();
        let Person { member, session } = person;
        Ok(SignedInPerson {
            scopes: member.role.scopes().names(),
            role: member.role.as_str().to_owned(),
            subject: member.subject,
            email: member.email,
            name: member.name,
            organisation_id: member.tenant_id,
            csrf_token: sessions::csrf_token(token),
            expires_at: session.expires_at,
            organisations,
        })
    }
}

#[utoipa::path(
    get,
    path = "/v1/auth/me",
    operation_id = "signedIn",
    tag = "dashboard",
    summary = "Who is signed in: organisation, role, scopes, and the CSRF token for writes",
    responses(
        (status = 200, body = SignedInPerson),
        (status = 401, description = "Not signed in, or the session ended (`sign_in_required`)", body = ErrorBody),
        (status = 429, description = "Too many requests", body = ErrorBody),
    ),
    security(("dashboard_session" = []))
)]
pub async fn me(
    State(state): State<AppState>,
    person: Person,
    headers: HeaderMap,
) -> Result<Json<SignedInPerson>, ApiError> {
    let token = session_token(&headers).unwrap_or_default();
    Ok(Json(SignedInPerson::of(&state, person, token).await?))
}

/// The organisation to work in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrganisationSwitch {
    /// One of `organisations` in `GET /v1/auth/me`.
    #[schema(min_length = 1, max_length = 64)]
    organisation_id: String,
}

#[utoipa::path(
    post,
    path = "/v1/auth/organisation",
    operation_id = "switchOrganisation",
    tag = "dashboard",
    summary = "Work in another organisation of the signed-in person's",
    request_body = OrganisationSwitch,
    responses(
        (status = 200, body = SignedInPerson, description = "The session now acts in that organisation, with the person's role there"),
        (status = 400, description = "A malformed body", body = ErrorBody),
        (status = 401, description = "Not signed in, or the session ended (`sign_in_required`)", body = ErrorBody),
        (status = 403, description = "Not a member of that organisation (`not_a_member`), or without the CSRF token or from another site (`csrf_rejected`)", body = ErrorBody),
        (status = 429, description = "Too many requests", body = ErrorBody),
    ),
    security(("dashboard_session" = []))
)]
pub async fn switch_organisation(
    State(state): State<AppState>,
    person: Person,
    headers: HeaderMap,
    ApiJson(switch): ApiJson<OrganisationSwitch>,
) -> Result<Json<SignedInPerson>, ApiError> {
    let id = switch.organisation_id;
    if id.is_empty() || id.chars().count() > 64 {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidBody,
            "`organisationId` is one of the organisations `GET /v1/auth/me` lists",
        ));
    }
    let token = session_token(&headers).unwrap_or_default();
    let person = state
        .people
        .switch_organisation(&state.db, person, token, &id)
        .await?;
    Ok(Json(SignedInPerson::of(&state, person, token).await?))
}

/// What sign-out answers.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignedOut {
    /// The identity provider's sign-out page, to end the sign-in there too;
    /// absent when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    end_session_url: Option<String>,
}

#[utoipa::path(
    post,
    path = "/v1/auth/logout",
    operation_id = "signOut",
    tag = "dashboard",
    summary = "Sign out: ends the session here, and names the provider's sign-out page",
    responses(
        (status = 200, body = SignedOut, description = "Signed out; the cookie is removed"),
        (status = 401, description = "Not signed in, or the session ended (`sign_in_required`)", body = ErrorBody),
        (status = 403, description = "Without the CSRF token, or from another site (`csrf_rejected`)", body = ErrorBody),
        (status = 429, description = "Too many requests", body = ErrorBody),
    ),
    security(("dashboard_session" = []))
)]
pub async fn logout(
    State(state): State<AppState>,
    _person: Person,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = session_token(&headers).unwrap_or_default();
    let after = format!("{}{DASHBOARD}", state.public_url.trim_end_matches('/'));
    let end_session_url = state.people.sign_out(&state.db, token, &after).await?;
    let mut response = Json(SignedOut { end_session_url }).into_response();
    if let Ok(cookie) = HeaderValue::from_str(&sessions::clear_cookie()) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// A sign-in that fails in a browser (a navigation) ends on the dashboard's
/// sign-in page, which says why from the error's code alone, so no text of
/// the URL's making is ever shown there; programs get the JSON error.
fn for_browsers(
    headers: &HeaderMap,
    result: Result<Response, ApiError>,
) -> Result<Response, ApiError> {
    match result {
        Err(error) if navigating(headers) => {
            if let ApiError::Internal(detail) = &error {
                tracing::error!(%detail, "sign-in failed");
            }
            let code = error.code();
            Ok(see_other(
                &format!("{DASHBOARD}#signInFailed={}", code.as_str()),
                None,
            ))
        }
        other => other,
    }
}

/// Whether the request is a browser's navigation to a page (following a
/// link or the provider's redirect), not a script's or program's call.
fn navigating(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-mode")
        .is_some_and(|mode| mode == "navigate")
        || headers.get_all(header::ACCEPT).iter().any(|accept| {
            accept
                .to_str()
                .is_ok_and(|accept| accept.contains("text/html"))
        })
}

/// 303 to `location`, setting `cookie` when given; never cached.
fn see_other(location: &str, cookie: Option<&str>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, location);
    }
    if let Some(cookie) = cookie.and_then(|cookie| HeaderValue::from_str(cookie).ok()) {
        headers.insert(header::SET_COOKIE, cookie);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `path` when it is a path on this server (no other host, no scheme), so a
/// sign-in link cannot send people elsewhere afterwards.
fn local_path(path: &str) -> Result<&str, ApiError> {
    // As the parameter's pattern says: `/`, then not a second `/` (another
    // host), no `\` (which browsers read as `/`) and no control character.
    let local = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && path.chars().count() <= RETURN_TO_MAX
        && !path.chars().any(char::is_control);
    if local {
        Ok(path)
    } else {
        Err(ApiError::bad_request(
            ErrorCode::InvalidQuery,
            "`returnTo` must be a path on this server, such as /dashboard",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_path_here_is_a_place_to_return_to() {
        for good in ["/dashboard", "/dashboard?tab=keys"] {
            assert!(local_path(good).is_ok(), "{good}");
        }
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "dashboard",
            "/a\nb",
        ] {
            assert!(local_path(bad).is_err(), "{bad}");
        }
    }
}
