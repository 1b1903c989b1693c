//! HTTP for the SDK: one API, a native body (reqwest) and a Wasm body (`fetch`);
//! and, in `page`, what the usage reporter needs of its surroundings (storage, a
//! page going away); and, in `json`, reading JSON (the engine's `JSON.parse` in Wasm).
//!
//! This and `time.rs` are the only places that know the target (and `js.rs`,
//! the npm package's bindings, which exist only in Wasm): everything else is
//! the same code in the browser and in a native program.

#[cfg(not(target_arch = "wasm32"))]
#[path = "json_native.rs"]
pub(crate) mod json;
#[cfg(target_arch = "wasm32")]
#[path = "json_wasm.rs"]
pub(crate) mod json;
#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(not(target_arch = "wasm32"))]
#[path = "native_page.rs"]
pub(crate) mod page;
#[cfg(target_arch = "wasm32")]
#[path = "wasm_page.rs"]
pub(crate) mod page;
#[cfg(target_arch = "wasm32")]
mod wasm;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use native::{BoxStream, Transport, random_unit, sleep, spawn};
#[cfg(target_arch = "wasm32")]
pub(crate) use wasm::{BoxStream, Transport, random_unit, sleep, spawn};

use crate::Error;

/// A request the SDK sends: always JSON in, JSON or an event stream out.
#[derive(Debug)]
pub(crate) struct HttpRequest<'a> {
    pub method: Method,
    pub url: String,
    pub bearer: Option<&'a str>,
    pub json_body: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

/// A response whose body has not been read yet.
pub(crate) struct HttpResponse {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub body: BoxStream<Result<Vec<u8>, Error>>,
}

impl HttpResponse {
    /// Reads the whole body as text.
    pub async fn text(mut self) -> Result<String, Error> {
        use futures_util::StreamExt;
        let mut bytes = Vec::new();
        while let Some(chunk) = self.body.next().await {
            bytes.extend_from_slice(&chunk?);
        }
        String::from_utf8(bytes).map_err(|_| Error::Protocol("the body is not UTF-8".into()))
    }

    /// Passes a success through and turns every other status into [`Error::Api`],
    /// with the server's code and message when the body carries them.
    pub async fn error_for_status(self) -> Result<Self, Error> {
        if (200..300).contains(&self.status) {
            return Ok(self);
        }
        let (status, retry_after) = (self.status, self.retry_after);
        let body = self.text().await.unwrap_or_default();
        Err(Error::from_response(status, &body, retry_after))
    }
}
