//! Request extractors whose rejections are our JSON errors, not axum's plain text.

use axum::extract::rejection::JsonRejection;
use sitekit_sdk::ErrorCode;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::{Number, Value};

use crate::client_ip::{ClientIp, rate_key};
use crate::error::ApiError;
use crate::state::AppState;
use crate::widgets::origin::Origin;

/// A JSON object body, read as JSON means it: malformed, oversized or
/// mistyped bodies, and bodies that are not an object, become clear API errors.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(mut value) = axum::Json::<Value>::from_request(request, state)
            .await
            .map_err(json_rejection)?;
        // serde's derived structs would read an array too, as their fields in
        // order (`[null, null]`: an empty update), which no client means.
        if !value.is_object() {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidBody,
                "the body must be a JSON object",
            ));
        }
        whole_numbers_as_integers(&mut value);
        serde_path_to_error::deserialize(value)
            .map(ApiJson)
            .map_err(|error| ApiError::bad_request(ErrorCode::InvalidBody, error.to_string()))
    }
}

/// `37.0` is the integer 37 in JSON (and in JSON Schema, which the spec is
/// written in), and some encoders write whole numbers so; serde reads it as a
/// float, which no integer field takes. So whole floats become integers.
fn whole_numbers_as_integers(value: &mut Value) {
    match value {
        Value::Number(number) if number.is_f64() => {
            let float = number.as_f64().unwrap_or(f64::NAN);
            // Beyond 2^63 a float's integer is not exact enough to be a count.
            if float.fract() == 0.0 && float.abs() < 9.2e18 {
                *number = Number::from(float as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType(
            "send the body as JSON with Content-Type: application/json".into(),
        ),
        JsonRejection::JsonSyntaxError(_) => {
            ApiError::bad_request(ErrorCode::InvalidJson, "the body is not valid JSON")
        }
        JsonRejection::JsonDataError(error) => {
            ApiError::bad_request(ErrorCode::InvalidBody, error.body_text())
        }
        JsonRejection::BytesRejection(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge
        }
        other => ApiError::bad_request(ErrorCode::InvalidBody, other.body_text()),
    }
}

/// A path's parameters. One that cannot be read (not UTF-8 once
/// percent-decoded) names nothing this server has: 404, as for an unknown id,
/// in our JSON rather than axum's plain text.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(ApiPath(value)),
            Err(rejection) if rejection.status() == StatusCode::BAD_REQUEST => Err(
                ApiError::NotFound(format!("no such resource: {}", rejection.body_text())),
            ),
            // The route and its handler disagree: ours to fix, not the client's.
            Err(rejection) => Err(ApiError::Internal(rejection.body_text())),
        }
    }
}

/// Query parameters; unknown or mistyped ones become a clear API error.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(ApiError::bad_request(
                ErrorCode::InvalidQuery,
                rejection.body_text(),
            )),
        }
    }
}

/// The `Origin` header a browser sent, canonicalised. Required on browser routes.
#[derive(Debug)]
pub struct RequestOrigin(pub Origin);

impl<S: Send + Sync> FromRequestParts<S> for RequestOrigin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get(header::ORIGIN)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| {
                ApiError::forbidden(
                    ErrorCode::OriginRequired,
                    "this route needs the Origin header a browser sends",
                )
            })?;
        Origin::parse(value).map(RequestOrigin).map_err(|_| {
            ApiError::forbidden(
                ErrorCode::OriginNotAllowed,
                format!("the origin {value} is not allowed for this widget"),
            )
        })
    }
}

/// The token of an `Authorization: Bearer …` header.
#[derive(Debug)]
pub struct BearerToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        bearer_token(&parts.headers)
            .map(BearerToken)
            .ok_or_else(|| {
                ApiError::unauthorized(
                    ErrorCode::MissingToken,
                    "send Authorization: Bearer <session token or API key>",
                )
            })
    }
}

/// The token of an `Authorization: Bearer …` header, if there is one.
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(|token| token.trim().to_owned())
}

/// The client a request comes from, as the per-address limits count it (see
/// [`crate::client_ip`]).
impl<S> FromRequestParts<S> for ClientIp
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ConnectInfo(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .copied()
            .ok_or_else(|| ApiError::Internal("the server runs without peer addresses".into()))?;
        let state = AppState::from_ref(state);
        let client = state.trusted_proxies.client(peer.ip(), &parts.headers);
        Ok(ClientIp(rate_key(client)))
    }
}
