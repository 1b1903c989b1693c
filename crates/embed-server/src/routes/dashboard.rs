//! `GET /dashboard`: the site owner's dashboard, and `GET /dashboard/preview`, the
//! page its live widget preview runs in. Both are static pages from the build;
//! everything they show comes from the admin API, called with the owner's secret
//! key, which the page keeps to itself: hence the strict policies below.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

use crate::assets::Asset;
use crate::routes::assets::serve;
use crate::state::AppState;

/// A page holding a secret key: its own scripts and styles only, no inline code,
/// requests only to this server, never inside another site's frame, and forms
/// that cannot send the key anywhere (the page's script handles them).
const DASHBOARD_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; frame-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The preview runs the real widget, sandboxed by the dashboard's frame, with the
/// owner's unsaved settings. It may run our scripts and the widget's Wasm, show the
/// avatar image the owner names, and reach nothing: the dashboard hands it the Wasm,
/// and a preview is no visitor (no session, no usage).
const PREVIEW_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; img-src https: data:; connect-src 'none'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'self'";

/// A page names the current build's assets, so it must never be served stale.
const NO_STORE: &str = "no-store";

#[utoipa::path(
    get,
    path = "/dashboard",
    operation_id = "getDashboard",
    tag = "dashboard",
    summary = "The site owner's dashboard: widgets, snippets, keys, usage",
    description = "Sign in with a secret key; the page calls the admin API with it.",
    responses(
        (status = 200, description = "The dashboard page", content_type = "text/html"),
        (status = 304, description = "Not modified (If-None-Match)"),
    )
)]
pub async fn page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page_response(state.assets.dashboard(), DASHBOARD_POLICY, "DENY", &headers)
}

#[utoipa::path(
    get,
    path = "/dashboard/preview",
    operation_id = "getDashboardPreview",
    tag = "dashboard",
    summary = "The page the dashboard's widget preview runs in",
    description = "Only the dashboard may frame it; it receives the settings to show from there.",
    responses(
        (status = 200, description = "The preview page", content_type = "text/html"),
        (status = 304, description = "Not modified (If-None-Match)"),
    )
)]
pub async fn preview(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page_response(
        state.assets.dashboard_preview(),
        PREVIEW_POLICY,
        "SAMEORIGIN",
        &headers,
    )
}

fn page_response(
    asset: &Asset,
    policy: &'static str,
    frame_options: &'static str,
    request: &HeaderMap,
) -> Response {
    let mut response = serve(asset, NO_STORE, request);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(policy),
    );
    headers.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static(frame_options),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}
