//! Wasm transport over the global `fetch`, which exists in browsers, workers and
//! Node ≥ 18. Bodies are read with a `ReadableStreamDefaultReader` (not async
//! iteration, which Safari lacks); dropping a body aborts the request.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use js_sys::{Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, Headers, ReadableStreamDefaultReader, Request, RequestInit, Response,
};

use super::{HttpRequest, HttpResponse, Method};
use crate::Error;

/// A boxed stream; Wasm is single-threaded, so no `Send`.
pub type BoxStream<T> = Pin<Box<dyn Stream<Item = T> + 'static>>;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(request: &Request) -> Promise;
    // Global in windows, workers and Node alike.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, milliseconds: f64) -> JsValue;
}

/// Waits without blocking the page.
pub async fn sleep(duration: std::time::Duration) {
    let timer = Promise::new(&mut |resolve, _reject| {
        set_timeout(&resolve, duration.as_secs_f64() * 1000.0);
    });
    let _ = JsFuture::from(timer).await;
}

/// Runs `work` in the background of the page.
pub fn spawn(work: impl Future<Output = ()> + 'static) {
    wasm_bindgen_futures::spawn_local(work);
}

/// A number in [0, 1) for retry jitter (not for anything secret).
pub fn random_unit() -> f64 {
    js_sys::Math::random()
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Transport {
    origin: Option<String>,
}

impl Transport {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends `origin` as the `Origin` header. Node's `fetch` sends it; a browser
    /// drops it and sends the page's own origin, as it should.
    pub fn with_origin(origin: String) -> Self {
        Transport {
            origin: Some(origin),
        }
    }

    pub fn fresh(&self) -> Self {
        self.clone()
    }

    pub async fn send(&self, request: HttpRequest<'_>) -> Result<HttpResponse, Error> {
        let HttpRequest {
            method,
            url,
            bearer,
            json_body,
        } = request;
        let controller = AbortController::new().map_err(js_error)?;
        let headers = Headers::new().map_err(js_error)?;
        if let Some(token) = bearer {
            headers
                .set("authorization", &format!("Bearer {token}"))
                .map_err(js_error)?;
        }
        let init = RequestInit::new();
        init.set_method(match method {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        });
        init.set_signal(Some(&controller.signal()));
        if let Some(origin) = &self.origin {
            headers.set("origin", origin).map_err(js_error)?;
        }
        if let Some(body) = &json_body {
            headers
                .set("content-type", "application/json")
                .map_err(js_error)?;
            init.set_body(&JsValue::from_str(body));
        }
        init.set_headers(&headers);
        let fetch_request = Request::new_with_str_and_init(&url, &init).map_err(js_error)?;
        let response: Response = JsFuture::from(global_fetch(&fetch_request))
            .await
            .map_err(js_error)?
            .unchecked_into();
        let retry_after = response
            .headers()
            .get("retry-after")
            .ok()
            .flatten()
            .and_then(|value| value.trim().parse().ok());
        let body: BoxStream<Result<Vec<u8>, Error>> = match response.body() {
            Some(stream) => Box::pin(BodyStream {
                reader: stream.get_reader().unchecked_into(),
                controller,
                pending: None,
            }),
            None => Box::pin(futures_util::stream::empty()),
        };
        Ok(HttpResponse {
            status: response.status(),
            retry_after,
            body,
        })
    }
}

/// A response body as a stream of byte chunks.
struct BodyStream {
    reader: ReadableStreamDefaultReader,
    controller: AbortController,
    pending: Option<JsFuture>,
}

impl Stream for BodyStream {
    type Item = Result<Vec<u8>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let read = this
            .pending
            .get_or_insert_with(|| JsFuture::from(this.reader.read()));
        let result = match Pin::new(read).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(result) => result,
        };
        this.pending = None;
        let chunk = match result {
            Ok(chunk) => chunk,
            Err(error) => return Poll::Ready(Some(Err(js_error(error)))),
        };
        let done = Reflect::get(&chunk, &"done".into())
            .map(|done| done.is_truthy())
            .unwrap_or(true);
        if done {
            return Poll::Ready(None);
        }
        match Reflect::get(&chunk, &"value".into()) {
            Ok(value) => Poll::Ready(Some(Ok(Uint8Array::new(&value).to_vec()))),
            Err(error) => Poll::Ready(Some(Err(js_error(error)))),
        }
    }
}

impl Drop for BodyStream {
    fn drop(&mut self) {
        // Stops the download (and, through the server, the agent run) when the
        // caller loses interest; a no-op when the body was read to the end.
        self.controller.abort();
    }
}

fn js_error(value: JsValue) -> Error {
    let text = value
        .dyn_ref::<js_sys::Error>()
        .map(|error| String::from(error.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "fetch failed".into());
    Error::Network(text)
}
