//! The HTTP part both key-holding clients share ([`crate::AdminClient`] and
//! [`crate::OperatorClient`]): one server, one key in `Authorization: Bearer`,
//! JSON in and out, the server's refusals as [`Error`]s.

use serde::de::DeserializeOwned;

use crate::Error;
use crate::client::{json_body, to_json};
use crate::transport::{HttpRequest, HttpResponse, Method, Transport};

pub(crate) struct KeyedClient {
    endpoint: String,
    key: String,
    transport: Transport,
}

impl std::fmt::Debug for KeyedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key opens a tenant, or every tenant: never print it.
        f.debug_struct("KeyedClient")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl KeyedClient {
    pub(crate) fn new(server_url: String, key: String) -> Self {
        KeyedClient {
            endpoint: server_url.trim_end_matches('/').to_owned(),
            key,
            transport: Transport::new(),
        }
    }

    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub(crate) async fn get<T: DeserializeOwned>(&self, path: String) -> Result<T, Error> {
        json_body(self.send(Method::Get, path, None).await?).await
    }

    pub(crate) async fn send_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: String,
        body: &impl serde::Serialize,
    ) -> Result<T, Error> {
        let body = to_json(body)?;
        json_body(self.send(method, path, Some(body)).await?).await
    }

    pub(crate) async fn send(
        &self,
        method: Method,
        path: String,
        json_body: Option<String>,
    ) -> Result<HttpResponse, Error> {
        let request = HttpRequest {
            method,
            url: format!("{}{path}", self.endpoint),
            bearer: Some(&self.key),
            json_body,
        };
        self.transport.send(request).await?.error_for_status().await
    }
}
