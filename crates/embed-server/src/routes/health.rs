//! Operators' view of one node: `GET /healthz` (liveness, with where the
//! limits are counted), `GET /readyz` (whether it wants new work) and
//! `GET /metrics` (Prometheus). None of them names a tenant or needs a key;
//! each answers from memory, or with one database round trip.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;

use crate::error::ApiError;
use crate::limits::Counting;
use crate::state::AppState;
use sitekit_sdk::wire::ErrorBody;

#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "operators",
    summary = "Liveness: 200 when the database answers, with where limits are counted",
    responses(
        (status = 200, body = Health),
        (status = 503, description = "The database is not reachable", body = ErrorBody),
    )
)]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    database_answers(&state).await?;
    Ok(Json(Health {
        status: "ok",
        limits: state.limits.counting(),
        draining: state.readiness.is_draining(),
    }))
}

#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "operators",
    summary = "Readiness: 200 while the node wants new chats; 503 once it drains for a shutdown",
    responses(
        (status = 200, body = Ready),
        (status = 503, description = "Draining for a shutdown, or the database is not reachable", body = ErrorBody),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Ready>, ApiError> {
    if state.readiness.is_draining() {
        return Err(ApiError::Unavailable(
            "this node is shutting down: it finishes its open chats and takes no new ones".into(),
        ));
    }
    database_answers(&state).await?;
    Ok(Json(Ready { status: "ready" }))
}

async fn database_answers(state: &AppState) -> Result<(), ApiError> {
    if state.db.is_reachable().await {
        Ok(())
    } else {
        Err(ApiError::Unavailable(
            "the database is not reachable".into(),
        ))
    }
}

/// `{"status":"ok","limits":"shared","draining":false}`
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    status: &'static str,
    /// Where the rate limits and stream caps are counted right now.
    limits: Counting,
    /// Whether the node is shutting down (see `/readyz`).
    draining: bool,
}

/// `{"status":"ready"}`
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Ready {
    status: &'static str,
}

#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "operators",
    summary = "This node's gauges and counters, in Prometheus's text format",
    responses(
        (status = 200, content_type = "text/plain; version=0.0.4", body = String),
    )
)]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let counting = state.limits.counting();
    let metrics = [
        Metric::gauge(
            "sitekit_ready",
            "1 while the node wants new chats, 0 once it drains for a shutdown.",
            u64::from(!state.readiness.is_draining()),
        ),
        Metric::gauge(
            "sitekit_limits_shared",
            "1 while rate limits and stream caps are counted by every node in Redis.",
            u64::from(counting == Counting::Shared),
        ),
        Metric::gauge(
            "sitekit_limits_redis_unreachable",
            "1 while the install's Redis does not answer and this node limits on its own.",
            u64::from(counting == Counting::LocalWhileRedisIsAway),
        ),
        Metric::counter(
            "sitekit_limits_redis_losses_total",
            "Times Redis stopped answering since the node started.",
            state.limits.redis_losses(),
        ),
        Metric::counter(
            "sitekit_rate_limited_total",
            "Requests refused by a rate limit (429 rate_limited).",
            state.limits.refused(),
        ),
        Metric::gauge(
            "sitekit_chat_streams_open",
            "Chat streams open on this node.",
            u64::from(state.streams.open()),
        ),
        Metric::counter(
            "sitekit_chat_streams_refused_total",
            "Chats refused for want of a stream place (429 too_many_streams).",
            state.streams.refused(),
        ),
    ];
    let mut text = String::new();
    for metric in metrics {
        metric.write(&mut text);
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
}

/// One sample, with its help and type lines.
struct Metric {
    name: &'static str,
    help: &'static str,
    kind: &'static str,
    value: u64,
}

impl Metric {
    fn gauge(name: &'static str, help: &'static str, value: u64) -> Self {
        Metric {
            name,
            help,
            kind: "gauge",
            value,
        }
    }

    fn counter(name: &'static str, help: &'static str, value: u64) -> Self {
        Metric {
            name,
            help,
            kind: "counter",
            value,
        }
    }

    fn write(&self, text: &mut String) {
        use std::fmt::Write;
        let Metric {
            name,
            help,
            kind,
            value,
        } = self;
        let _ = write!(
            text,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
        );
    }
}
