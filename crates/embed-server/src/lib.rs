//! The Site Kit embed server: serves the loader and widget, checks keys and
//! origins, mints session tokens and relays chat to agent runtimes over AG-UI.
//!
//! The binary (`main.rs`, `cli/serve.rs`) builds an [`AppState`] from its
//! command line and calls [`serve`]; [`app`] is every route on that state.

pub mod agents;
pub mod assets;
pub mod audit;
pub mod catalog;
pub mod chat;
pub mod client_ip;
pub mod codec;
pub mod conversations;
pub mod db;
pub mod egress;
pub mod engagement;
mod error;
mod extract;
mod http_server;
pub mod kept_releases;
pub mod keys;
#[cfg(test)]
mod layering;
pub mod limits;
pub mod master_key;
mod openapi;
pub mod operator;
pub mod people;
pub mod readiness;
pub mod retention;
mod routes;
pub mod setting_rules;
pub mod state;
pub mod subscriptions;
pub mod tenants;
pub mod usage;
pub mod webhooks;
pub mod widgets;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, header};
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

pub use error::ApiError;
pub use state::AppState;

/// Bodies above these sizes are refused with 413 before they are read in full.
const SESSION_BODY_LIMIT: usize = 4 * 1024;
/// A lead's fields at their longest (a 2,000-character message), in JSON.
const LEAD_BODY_LIMIT: usize = 16 * 1024;
const CHAT_BODY_LIMIT: usize = 64 * 1024;
const ADMIN_BODY_LIMIT: usize = 64 * 1024;

/// Every route of the server.
pub fn app(state: AppState) -> Router {
    // Any site may *ask*; which sites get an answer is decided per widget by the
    // origin allowlist, and errors must stay readable to the page's script. The
    // layer is outermost so it answers preflights before routing does.
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
        .expose_headers([header::RETRY_AFTER]);
    let (router, _) = documented_routes().split_for_parts();
    let audit = axum::middleware::from_fn_with_state(state.clone(), routes::audit::record_writes);
    router
        .layer(audit)
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(cors)
        .with_state(state)
}

/// The span each request is traced in. The path, never the whole URI: a query
/// may carry a usage token (`POST /v1/usage/events?access_token=…`, for
/// beacons), and logs are read by more people than tokens should be.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    // tower-http's own target, so `SITEKIT_LOG=tower_http=debug` shows requests
    // as it did before.
    tracing::debug_span!(
        target: "tower_http::trace::make_span",
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        version = ?request.version(),
    )
}

/// Every route, each registered through its OpenAPI annotation, so the spec
/// always lists exactly what the server serves.
fn documented_routes() -> OpenApiRouter<AppState> {
    use routes::{
        agents, assets, audit, catalog, chat, conversations, dashboard, engagement, health, keys,
        leads, members, operator, provisioning, seller, sessions, sign_in, snippet, subscriptions,
        threads, usage, usage_events, usage_export, webhooks, widget_config, widgets,
    };
    let admin_body = || DefaultBodyLimit::max(ADMIN_BODY_LIMIT);
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(assets::loader))
        .routes(routes!(assets::hashed))
        // A publishable key here, a widget id below: one name for one path segment.
        .routes(routes!(widget_config::config))
        .routes(routes!(sessions::create).layer(DefaultBodyLimit::max(SESSION_BODY_LIMIT)))
        .routes(routes!(chat::chat).layer(DefaultBodyLimit::max(CHAT_BODY_LIMIT)))
        .routes(routes!(threads::get))
        .routes(routes!(engagement::lead).layer(DefaultBodyLimit::max(LEAD_BODY_LIMIT)))
        .routes(routes!(engagement::handoff).layer(DefaultBodyLimit::max(LEAD_BODY_LIMIT)))
        .routes(
            routes!(usage_events::ingest).layer(DefaultBodyLimit::max(usage_events::BODY_LIMIT)),
        )
        .routes(routes!(agents::list, agents::create).layer(admin_body()))
        .routes(routes!(agents::get, agents::update, agents::delete).layer(admin_body()))
        .routes(routes!(catalog::list, catalog::create).layer(admin_body()))
        .routes(routes!(catalog::get, catalog::update).layer(admin_body()))
        .routes(routes!(catalog::publish_version).layer(admin_body()))
        .routes(routes!(subscriptions::list, subscriptions::create).layer(admin_body()))
        .routes(routes!(subscriptions::get, subscriptions::update).layer(admin_body()))
        .routes(routes!(widgets::list, widgets::create).layer(admin_body()))
        .routes(routes!(widgets::get, widgets::update, widgets::delete).layer(admin_body()))
        .routes(routes!(snippet::get))
        .routes(routes!(keys::list, keys::create).layer(admin_body()))
        .routes(routes!(keys::revoke).layer(admin_body()))
        .routes(routes!(keys::rotate).layer(admin_body()))
        .routes(routes!(keys::events))
        .routes(routes!(usage::summary))
        .routes(routes!(usage_export::export))
        .routes(routes!(seller::usage))
        .routes(routes!(conversations::list))
        .routes(routes!(conversations::export))
        .routes(routes!(conversations::get, conversations::delete))
        .routes(routes!(conversations::delete_visitor))
        .routes(routes!(leads::list))
        .routes(routes!(leads::export))
        .routes(routes!(webhooks::list, webhooks::create).layer(admin_body()))
        .routes(routes!(webhooks::get, webhooks::update, webhooks::delete).layer(admin_body()))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::resend))
        .routes(routes!(operator::list, operator::create).layer(admin_body()))
        .routes(routes!(operator::get))
        .routes(routes!(operator::keys, operator::create_key).layer(admin_body()))
        .routes(routes!(operator::revoke_key).layer(admin_body()))
        .routes(routes!(operator::rotate_key).layer(admin_body()))
        .routes(routes!(operator::key_events))
        .routes(routes!(provisioning::subscription).layer(admin_body()))
        .routes(routes!(provisioning::widget).layer(admin_body()))
        .routes(
            routes!(
                provisioning::get_widget,
                provisioning::control_widget,
                provisioning::delete_widget
            )
            .layer(admin_body()),
        )
        .routes(routes!(provisioning::widget_usage))
        .routes(routes!(audit::trail))
        .routes(routes!(members::list))
        .routes(routes!(members::update, members::remove).layer(admin_body()))
        .routes(routes!(members::invite).layer(admin_body()))
        .routes(routes!(members::withdraw))
        .routes(routes!(sign_in::login))
        .routes(routes!(sign_in::callback))
        .routes(routes!(sign_in::me))
        .routes(routes!(sign_in::methods))
        .routes(routes!(sign_in::switch_organisation).layer(admin_body()))
        .routes(routes!(sign_in::logout))
        .routes(routes!(dashboard::page))
        .routes(routes!(dashboard::preview))
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::metrics))
        .routes(routes!(openapi::spec))
}

/// The OpenAPI document of every route (what `GET /openapi.json` serves).
pub fn openapi_spec() -> utoipa::openapi::OpenApi {
    let mut spec = documented_routes().into_openapi();
    openapi::spell_link_targets(&mut spec);
    openapi::admit_dashboard_sessions(&mut spec);
    spec
}

/// How often each node records the runs of nodes that stopped mid-run.
const RECORD_LOST_RUNS_EVERY: Duration = Duration::from_secs(5);

/// How often the rate limiters forget clients that have been quiet.
const FORGET_IDLE_CLIENTS_EVERY: Duration = Duration::from_secs(60);

/// Serves until `shutdown` completes, then lets open requests (chat streams
/// among them) finish for up to `state.shutdown_grace`.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.limits.clone();
    let forget_idle_clients = tokio::spawn(async move {
        let mut every = tokio::time::interval(FORGET_IDLE_CLIENTS_EVERY);
        loop {
            every.tick().await;
            limits.forget_idle();
        }
    });
    let reloaded = state.clone();
    let reload_keys = tokio::spawn(async move {
        let mut every = tokio::time::interval(reloaded.key_refresh);
        loop {
            every.tick().await;
            // On failure keep checking against what was last loaded; retry next tick.
            if let Err(error) = reloaded.keys.refresh(&reloaded.db).await {
                tracing::warn!(%error, "cannot reload key states");
            }
            if let Err(error) = reloaded.reload_signing_keys().await {
                tracing::warn!(%error, "cannot reload the session signing keys");
            }
        }
    });
    let db = state.db.clone();
    let record_lost_runs = tokio::spawn(async move {
        let mut every = tokio::time::interval(RECORD_LOST_RUNS_EVERY);
        loop {
            every.tick().await;
            match db.record_lost_runs(db::now_unix_ms()).await {
                Ok(0) => {}
                Ok(count) => tracing::warn!(
                    count,
                    "recorded runs whose node stopped before recording them (node_stopped)"
                ),
                Err(error) => tracing::warn!(%error, "cannot record the runs of stopped nodes"),
            }
        }
    });
    let (db, retention) = (state.db.clone(), state.retention);
    let forget_past_retention = tokio::spawn(async move {
        let mut every = tokio::time::interval(retention::FORGET_EVERY);
        loop {
            every.tick().await;
            retention.forget_past(&db).await;
        }
    });
    let deliverer = webhooks::delivery::Deliverer::new(
        state.db.clone(),
        state.egress.clone(),
        state.webhook_first_retry,
    );
    let deliver_webhooks = tokio::spawn(deliverer.run());
    let checkpoints = state
        .db
        .checkpoint_in_background()
        .await
        .map_err(std::io::Error::other)?;
    let (grace, drain, readiness) = (state.shutdown_grace, state.drain, state.readiness.clone());
    let (signalled, on_signal) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        shutdown.await;
        readiness.start_draining();
        // Still serving, so whatever a balancer sends before it notices is answered.
        tokio::time::sleep(drain).await;
        let _ = signalled.send(());
    };
    // The peer address, what per-IP limits count, rides on each request.
    let served = async move {
        http_server::serve(listener, app(state), shutdown).await;
        Ok(())
    };
    let grace_over = async move {
        match on_signal.await {
            Ok(()) => tokio::time::sleep(grace).await,
            Err(_) => std::future::pending().await,
        }
    };
    let result = tokio::select! {
        served = served => served,
        () = grace_over => {
            tracing::warn!(?grace, "requests still open after the shutdown grace period; stopping");
            Ok(())
        }
    };
    forget_idle_clients.abort();
    reload_keys.abort();
    forget_past_retention.abort();
    record_lost_runs.abort();
    // A delivery cut off mid-send keeps its lease until it runs out; then
    // this node or another sends it again.
    deliver_webhooks.abort();
    if let Some(checkpoints) = checkpoints {
        checkpoints.abort();
    }
    result
}
