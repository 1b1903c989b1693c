//! `GET /v1/loader.js` (short cache, ETag) and `GET /v1/assets/<name>` (hashed
//! names, cached forever: the running build's, else an earlier release's the
//! database keeps), each served precompressed when the browser accepts it.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use axum::body::Bytes;

use crate::assets::{Asset, content_type};
use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::kept_releases;
use crate::state::AppState;
use sitekit_sdk::wire::ErrorBody;

/// The loader's URL never changes, so browsers must revalidate it soon to pick up
/// a new widget; five minutes bounds how long a release takes to reach every page.
const LOADER_CACHE: &str = "public, max-age=300, must-revalidate";
/// Hashed names change with their content, so they may be cached forever.
const HASHED_CACHE: &str = "public, max-age=31536000, immutable";

#[utoipa::path(
    get,
    path = "/v1/loader.js",
    operation_id = "getLoader",
    tag = "browser",
    summary = "The loader the snippet loads",
    description = "Cached for five minutes with a weak ETag; brotli or gzip when accepted.",
    responses(
        (status = 200, description = "The loader", content_type = "text/javascript"),
        (status = 304, description = "Not modified (If-None-Match)"),
    )
)]
pub async fn loader(State(state): State<AppState>, headers: HeaderMap) -> Response {
    serve(state.assets.loader(), LOADER_CACHE, &headers)
}

#[utoipa::path(
    get,
    path = "/v1/assets/{name}",
    operation_id = "getAsset",
    tag = "browser",
    summary = "A content-hashed widget asset (JS, Wasm, pinned loader)",
    description = "Immutable, cacheable forever; brotli or gzip when accepted. The running \
        build's files first, then the pinned loaders and widget files of the earlier releases \
        the database keeps (`sitekit serve --kept-releases`), so a pinned snippet survives upgrades.",
    params(("name" = String, Path, description = "A name listed in the build's manifest, or in an earlier release's, e.g. `widget-<hash>.wasm`")),
    responses(
        (status = 200, description = "The asset, with its MIME type"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No asset of that name", body = ErrorBody),
    )
)]
pub async fn hashed(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(asset) = state.assets.hashed(&name) {
        return Ok(serve(asset, HASHED_CACHE, &headers));
    }
    let accepted = AcceptEncoding::from_headers(&headers);
    let kept = kept_releases::find(&state.db, &name, accepted.brotli, accepted.gzip)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no asset named {name}")))?;
    let body = (!not_modified(&kept.etag, &headers))
        .then(|| (Bytes::from(kept.body), kept.encoding, content_type(&name)));
    Ok(respond(body, &kept.etag, HASHED_CACHE))
}

/// `asset` with `cache` as its Cache-Control, as the request accepts it: brotli,
/// gzip or as it is, or 304 when the browser's copy is current.
pub(crate) fn serve(asset: &Asset, cache: &'static str, request: &HeaderMap) -> Response {
    let body = (!not_modified(&asset.etag, request)).then(|| {
        let accepted = AcceptEncoding::from_headers(request);
        let (body, encoding) = match (&asset.brotli, &asset.gzip) {
            (Some(br), _) if accepted.brotli => (br.clone(), Some("br")),
            (_, Some(gz)) if accepted.gzip => (gz.clone(), Some("gzip")),
            _ => (asset.identity.clone(), None),
        };
        (body, encoding, asset.content_type)
    });
    respond(body, &asset.etag, cache)
}

/// Whether the browser's copy, named by If-None-Match, is the one tagged `etag`.
fn not_modified(etag: &str, request: &HeaderMap) -> bool {
    request
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        })
}

/// An asset's answer: its bytes (with their Content-Encoding and MIME type), or
/// 304 when there are none to send, under the headers every asset has.
fn respond(
    body: Option<(Bytes, Option<&'static str>, &'static str)>,
    etag: &str,
    cache: &'static str,
) -> Response {
    let mut response = match body {
        None => StatusCode::NOT_MODIFIED.into_response(),
        Some((body, encoding, content_type)) => {
            let mut response = body.into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            if let Some(encoding) = encoding {
                response
                    .headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
            }
            response
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    headers.insert(
        header::ETAG,
        HeaderValue::from_str(etag).expect("hex etags are valid header values"),
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Which precompressed encodings the client takes (`q=0` means no).
#[derive(Debug, Default, PartialEq, Eq)]
struct AcceptEncoding {
    brotli: bool,
    gzip: bool,
}

impl AcceptEncoding {
    fn from_headers(headers: &HeaderMap) -> Self {
        let mut accepted = AcceptEncoding::default();
        let Some(value) = headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
        else {
            return accepted;
        };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let refused = parts.any(|param| {
                let param = param.trim();
                param.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()) == Some(0.0)
            });
            match coding.as_str() {
                "br" => accepted.brotli = !refused,
                "gzip" => accepted.gzip = !refused,
                _ => {}
            }
        }
        accepted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> AcceptEncoding {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        AcceptEncoding::from_headers(&headers)
    }

    #[test]
    fn accept_encoding_honours_q_zero() {
        assert_eq!(
            parse("gzip, deflate, br, zstd"),
            AcceptEncoding {
                brotli: true,
                gzip: true
            }
        );
        assert_eq!(
            parse("br;q=0, gzip;q=0.5"),
            AcceptEncoding {
                brotli: false,
                gzip: true
            }
        );
        assert_eq!(
            parse("br;q=0.000"),
            AcceptEncoding {
                brotli: false,
                gzip: false
            }
        );
        assert_eq!(parse("identity"), AcceptEncoding::default());
    }
}
