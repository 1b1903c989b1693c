//! `GET /v1/seller/usage` (`seller:read`): how buyers use the agents the
//! caller's organisation publishes. Counts and times only; never a visitor, a
//! thread or a message's text.

use axum::Json;
use axum::extract::State;
use sitekit_sdk::seller::{SellerUsageQuery, SellerUsageReport};
use sitekit_sdk::wire::ErrorBody;

use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::keys::Caller;
use crate::openapi::AdminErrors;
use crate::state::AppState;
use crate::usage::ops;

#[utoipa::path(
    get,
    path = "/v1/seller/usage",
    operation_id = "getSellerUsage",
    tag = "seller",
    summary = "How buyers use the organisation's published agents, per version, buyer and day",
    description = "Needs the `seller:read` scope, and an organisation that sells agents (else \
        403 `not_a_seller`). `versions` has each version's totals over the range (runs, \
        conversations, tokens, errors by code, ratings and their up ratio, p50/p95 time to \
        the first event and duration) and the subscriptions that run it now; `subscriptions` \
        who subscribes; `days` one row per day, version and buying organisation.",
    params(SellerUsageQuery),
    security(("admin_key" = [])),
    responses(
        (status = 200, body = SellerUsageReport),
        (status = 400, description = "A malformed date, a range over 366 days, or an unknown parameter (`invalid_query`)", body = ErrorBody),
        (status = 404, description = "No such published agent of the caller's", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn usage(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<SellerUsageQuery>,
) -> Result<Json<SellerUsageReport>, ApiError> {
    Ok(Json(ops::seller_report(&state.db, &caller, &query).await?))
}
