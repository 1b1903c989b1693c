//! The admin API's client: one typed method per admin route, for a secret
//! (`skt_sec_…`) or restricted (`skt_rst_…`) key. The `sitekit` command line uses
//! it for `--server`; any Rust program, native or Wasm, can do the same.

use crate::Error;
use crate::admin::{
    AgentList, AgentSummary, AgentUpdate, CreatedKey, CreatedWidget, KeyEventList, KeyList,
    NewAgentRequest, NewKeyRequest, NewWidgetRequest, RotateKeyRequest, UsageExportQuery,
    UsageGranularity, UsageQuery, UsageReport, WidgetList, WidgetSnippet, WidgetSummary,
    WidgetUpdate,
};
use crate::catalog::{
    AgentVersion, NewAgentVersion, NewPublishedAgent, PublishedAgent, PublishedAgentList,
    PublishedAgentUpdate,
};
use crate::client::segment;
use crate::keyed_client::KeyedClient;
use crate::seller::{SellerUsageQuery, SellerUsageReport};
use crate::subscriptions::{NewSubscription, Subscription, SubscriptionList, SubscriptionUpdate};
use crate::transport::Method;

/// A client for the admin API of one embed server, acting for the tenant of its
/// key. Every failure is an [`Error`]: the server's refusals keep its stable
/// code and message (`missing_scope`, `not_found`, …) and, for `429`, the
/// `Retry-After` seconds.
///
/// ```no_run
/// # async fn demo() -> Result<(), sitekit_sdk::Error> {
/// use sitekit_sdk::AdminClient;
/// use sitekit_sdk::admin::WidgetUpdate;
///
/// let admin = AdminClient::new("https://embed.example.com", "skt_sec_live_…");
/// for widget in admin.widgets().await?.widgets {
///     println!("{} {}", widget.id, widget.title);
/// }
/// let update = WidgetUpdate { enabled: Some(false), ..WidgetUpdate::default() };
/// admin.update_widget("wgt_…", &update).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct AdminClient {
    http: KeyedClient,
}

impl AdminClient {
    /// `server_url` is the embed server's base URL, e.g. `https://embed.example.com`;
    /// `key` a secret or restricted key of the tenant to act for.
    pub fn new(server_url: impl Into<String>, key: impl Into<String>) -> Self {
        AdminClient {
            http: KeyedClient::new(server_url.into(), key.into()),
        }
    }

    /// The server's base URL, as given (without a trailing slash).
    pub fn server_url(&self) -> &str {
        self.http.endpoint()
    }

    /// `GET /v1/agents` (`widgets:read`).
    pub async fn agents(&self) -> Result<AgentList, Error> {
        self.http.get("/v1/agents".into()).await
    }

    /// `GET /v1/agents/<id>` (`widgets:read`).
    pub async fn agent(&self, id: &str) -> Result<AgentSummary, Error> {
        self.http.get(format!("/v1/agents/{}", segment(id))).await
    }

    /// `POST /v1/agents` (`agents:write`).
    pub async fn create_agent(&self, request: &NewAgentRequest) -> Result<AgentSummary, Error> {
        self.http
            .send_json(Method::Post, "/v1/agents".into(), request)
            .await
    }

    /// `PATCH /v1/agents/<id>` (`agents:write`).
    pub async fn update_agent(
        &self,
        id: &str,
        update: &AgentUpdate,
    ) -> Result<AgentSummary, Error> {
        let path = format!("/v1/agents/{}", segment(id));
        self.http.send_json(Method::Patch, path, update).await
    }

    /// `DELETE /v1/agents/<id>` (`agents:write`); refused (`agent_in_use`) while
    /// widgets use it.
    pub async fn delete_agent(&self, id: &str) -> Result<(), Error> {
        let path = format!("/v1/agents/{}", segment(id));
        self.http.send(Method::Delete, path, None).await.map(drop)
    }

    /// `GET /v1/widgets` (`widgets:read`).
    pub async fn widgets(&self) -> Result<WidgetList, Error> {
        self.http.get("/v1/widgets".into()).await
    }

    /// `GET /v1/widgets/<id>` (`widgets:read`).
    pub async fn widget(&self, id: &str) -> Result<WidgetSummary, Error> {
        self.http.get(format!("/v1/widgets/{}", segment(id))).await
    }

    /// `POST /v1/widgets` (`widgets:write`): the widget, its publishable key and
    /// snippet.
    pub async fn create_widget(&self, request: &NewWidgetRequest) -> Result<CreatedWidget, Error> {
        self.http
            .send_json(Method::Post, "/v1/widgets".into(), request)
            .await
    }

    /// `PATCH /v1/widgets/<id>` (`widgets:write`).
    pub async fn update_widget(
        &self,
        id: &str,
        update: &WidgetUpdate,
    ) -> Result<WidgetSummary, Error> {
        let path = format!("/v1/widgets/{}", segment(id));
        self.http.send_json(Method::Patch, path, update).await
    }

    /// `DELETE /v1/widgets/<id>` (`widgets:write`): its publishable keys are
    /// revoked and their sessions end.
    pub async fn delete_widget(&self, id: &str) -> Result<(), Error> {
        let path = format!("/v1/widgets/{}", segment(id));
        self.http.send(Method::Delete, path, None).await.map(drop)
    }

    /// `GET /v1/widgets/<id>/snippet` (`widgets:read`).
    pub async fn widget_snippet(&self, id: &str) -> Result<WidgetSnippet, Error> {
        self.http
            .get(format!("/v1/widgets/{}/snippet", segment(id)))
            .await
    }

    /// `GET /v1/keys` (`keys:write`): display forms only, never the keys.
    pub async fn keys(&self) -> Result<KeyList, Error> {
        self.http.get("/v1/keys".into()).await
    }

    /// `POST /v1/keys` (`keys:write`): the only answer that holds the new key.
    pub async fn create_key(&self, request: &NewKeyRequest) -> Result<CreatedKey, Error> {
        self.http
            .send_json(Method::Post, "/v1/keys".into(), request)
            .await
    }

    /// `POST /v1/keys/<id>/rotate` (`keys:write`): the replacement key, shown once.
    pub async fn rotate_key(
        &self,
        id: &str,
        request: &RotateKeyRequest,
    ) -> Result<CreatedKey, Error> {
        let path = format!("/v1/keys/{}/rotate", segment(id));
        self.http.send_json(Method::Post, path, request).await
    }

    /// `POST /v1/keys/<id>/revoke` (`keys:write`).
    pub async fn revoke_key(&self, id: &str) -> Result<(), Error> {
        let path = format!("/v1/keys/{}/revoke", segment(id));
        self.http.send(Method::Post, path, None).await.map(drop)
    }

    /// `GET /v1/keys/<id>/events` (`keys:write`): the key's audit trail.
    pub async fn key_events(&self, id: &str) -> Result<KeyEventList, Error> {
        self.http
            .get(format!("/v1/keys/{}/events", segment(id)))
            .await
    }

    /// `GET /v1/usage` (`usage:read`): runs, conversations, messages, tokens,
    /// errors, feedback, loads and opens per UTC day, agent, widget and key.
    pub async fn usage(&self, query: &UsageQuery) -> Result<UsageReport, Error> {
        self.http
            .get(format!("/v1/usage{}", usage_query(query)))
            .await
    }

    /// `GET /v1/usage/export` (`usage:read`): the export as the server sent it
    /// (CSV or NDJSON text), read whole.
    pub async fn usage_export(&self, query: &UsageExportQuery) -> Result<String, Error> {
        let filters = usage_query(&query.filters());
        let separator = if filters.is_empty() { '?' } else { '&' };
        let path = format!(
            "/v1/usage/export{filters}{separator}format={}",
            query.format.as_str()
        );
        self.http.send(Method::Get, path, None).await?.text().await
    }

    /// `GET /v1/seller/usage` (`seller:read`, a seller's key): how buyers use
    /// the organisation's published agents, per version, buyer and day.
    pub async fn seller_usage(&self, query: &SellerUsageQuery) -> Result<SellerUsageReport, Error> {
        let fields = [
            ("from", query.from.as_deref()),
            ("to", query.to.as_deref()),
            ("publishedAgentId", query.published_agent_id.as_deref()),
        ];
        self.http
            .get(format!("/v1/seller/usage{}", query_string(&fields)))
            .await
    }

    /// `GET /v1/catalog/agents` (`widgets:read`): every seller's published
    /// agents that are not withdrawn, and the caller's own.
    pub async fn catalog(&self) -> Result<PublishedAgentList, Error> {
        self.http.get("/v1/catalog/agents".into()).await
    }

    /// `GET /v1/catalog/agents/<id>` (`widgets:read`).
    pub async fn published_agent(&self, id: &str) -> Result<PublishedAgent, Error> {
        self.http
            .get(format!("/v1/catalog/agents/{}", segment(id)))
            .await
    }

    /// `POST /v1/catalog/agents` (`catalog:write`, a seller's key).
    pub async fn create_published_agent(
        &self,
        request: &NewPublishedAgent,
    ) -> Result<PublishedAgent, Error> {
        self.http
            .send_json(Method::Post, "/v1/catalog/agents".into(), request)
            .await
    }

    /// `PATCH /v1/catalog/agents/<id>` (`catalog:write`).
    pub async fn update_published_agent(
        &self,
        id: &str,
        update: &PublishedAgentUpdate,
    ) -> Result<PublishedAgent, Error> {
        let path = format!("/v1/catalog/agents/{}", segment(id));
        self.http.send_json(Method::Patch, path, update).await
    }

    /// `POST /v1/catalog/agents/<id>/versions` (`catalog:write`): the next
    /// version, which never changes.
    pub async fn publish_version(
        &self,
        id: &str,
        request: &NewAgentVersion,
    ) -> Result<AgentVersion, Error> {
        let path = format!("/v1/catalog/agents/{}/versions", segment(id));
        self.http.send_json(Method::Post, path, request).await
    }

    /// `GET /v1/subscriptions` (`widgets:read`): the organisation's
    /// subscriptions and the version each runs now.
    pub async fn subscriptions(&self) -> Result<SubscriptionList, Error> {
        self.http.get("/v1/subscriptions".into()).await
    }

    /// `GET /v1/subscriptions/<id>` (`widgets:read`).
    pub async fn subscription(&self, id: &str) -> Result<Subscription, Error> {
        self.http
            .get(format!("/v1/subscriptions/{}", segment(id)))
            .await
    }

    /// `POST /v1/subscriptions` (`agents:write`, a buyer's key).
    pub async fn subscribe(&self, request: &NewSubscription) -> Result<Subscription, Error> {
        self.http
            .send_json(Method::Post, "/v1/subscriptions".into(), request)
            .await
    }

    /// `PATCH /v1/subscriptions/<id>` (`agents:write`): pin a version (to
    /// upgrade or roll back) or follow the latest, in one call.
    pub async fn update_subscription(
        &self,
        id: &str,
        update: &SubscriptionUpdate,
    ) -> Result<Subscription, Error> {
        let path = format!("/v1/subscriptions/{}", segment(id));
        self.http.send_json(Method::Patch, path, update).await
    }
}

/// `?from=…&to=…&widgetId=…` with the fields that are set, or nothing.
fn usage_query(query: &UsageQuery) -> String {
    let granularity = query.granularity.map(|granularity| match granularity {
        UsageGranularity::Day => "day",
    });
    let fields = [
        ("from", query.from.as_deref()),
        ("to", query.to.as_deref()),
        ("agentId", query.agent_id.as_deref()),
        ("widgetId", query.widget_id.as_deref()),
        ("keyId", query.key_id.as_deref()),
        ("granularity", granularity),
    ];
    query_string(&fields)
}

/// `?name=value&…` of the fields that are set, or nothing.
fn query_string(fields: &[(&str, Option<&str>)]) -> String {
    let pairs: Vec<String> = fields
        .iter()
        .filter_map(|(name, value)| Some(format!("{name}={}", segment((*value)?))))
        .collect();
    if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_stay_one_path_segment() {
        assert_eq!(segment("wgt_AbC123"), "wgt_AbC123");
        assert_eq!(segment("../keys?x=1"), "..%2Fkeys%3Fx%3D1");
        assert_eq!(segment("é"), "%C3%A9");
    }

    #[test]
    fn usage_queries_carry_only_what_is_set() {
        assert_eq!(usage_query(&UsageQuery::default()), "");
        let query = UsageQuery {
            from: Some("2026-01-01".into()),
            widget_id: Some("wgt_1".into()),
            ..UsageQuery::default()
        };
        assert_eq!(usage_query(&query), "?from=2026-01-01&widgetId=wgt_1");
        let query = UsageQuery {
            agent_id: Some("agt_1".into()),
            key_id: Some("key_1".into()),
            granularity: Some(UsageGranularity::Day),
            ..UsageQuery::default()
        };
        assert_eq!(
            usage_query(&query),
            "?agentId=agt_1&keyId=key_1&granularity=day"
        );
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let client = AdminClient::new("https://embed.example.com/", "skt_sec_live_secret");
        let printed = format!("{client:?}");
        assert!(printed.contains("https://embed.example.com"), "{printed}");
        assert!(!printed.contains("skt_sec_live_secret"), "{printed}");
        assert_eq!(client.server_url(), "https://embed.example.com");
    }
}
