//! Where the admin commands act: this machine's database ([`crate::cli::local`]) or a
//! server's admin API through the SDK's [`AdminClient`]. One trait with one
//! method per operation, on the SDK's types, so both places offer the same
//! operations and `commands.rs` prints their answers once.

use std::path::Path;

use anyhow::{Result, bail};
use sitekit_sdk::AdminClient;
use sitekit_sdk::admin::{
    AgentSummary, AgentUpdate, CreatedKey, CreatedWidget, KeyEventList, KeySummary,
    NewAgentRequest, NewKeyRequest, NewWidgetRequest, RotateKeyRequest, UsageQuery, UsageReport,
    WidgetSnippet, WidgetSummary, WidgetUpdate,
};
use sitekit_sdk::catalog::{
    AgentVersion, NewAgentVersion, NewPublishedAgent, PublishedAgent, PublishedAgentUpdate,
};
use sitekit_sdk::seller::{SellerUsageQuery, SellerUsageReport};
use sitekit_sdk::subscriptions::{NewSubscription, Subscription, SubscriptionUpdate};

/// The admin operations. `tenant` picks a tenant on the local database (required
/// to create, a filter for lists); remotely the key's tenant is the only one.
/// `public_url` and `assets_dir` tell the local database what the server it
/// belongs to serves; a remote server knows that itself.
pub trait AdminBackend {
    async fn create_agent(
        &self,
        tenant: Option<&str>,
        request: NewAgentRequest,
    ) -> Result<AgentSummary>;
    async fn agents(&self, tenant: Option<&str>) -> Result<Vec<AgentSummary>>;
    async fn agent(&self, id: &str) -> Result<AgentSummary>;
    async fn update_agent(&self, id: &str, update: AgentUpdate) -> Result<AgentSummary>;
    async fn delete_agent(&self, id: &str) -> Result<()>;

    async fn catalog(&self) -> Result<Vec<PublishedAgent>>;
    async fn published_agent(&self, id: &str) -> Result<PublishedAgent>;
    async fn create_published_agent(
        &self,
        tenant: Option<&str>,
        request: NewPublishedAgent,
    ) -> Result<PublishedAgent>;
    async fn update_published_agent(
        &self,
        id: &str,
        update: PublishedAgentUpdate,
    ) -> Result<PublishedAgent>;
    async fn publish_version(&self, id: &str, request: NewAgentVersion) -> Result<AgentVersion>;

    async fn subscriptions(&self, tenant: Option<&str>) -> Result<Vec<Subscription>>;
    async fn subscription(&self, id: &str) -> Result<Subscription>;
    async fn subscribe(
        &self,
        tenant: Option<&str>,
        request: NewSubscription,
    ) -> Result<Subscription>;
    async fn update_subscription(
        &self,
        id: &str,
        update: SubscriptionUpdate,
    ) -> Result<Subscription>;

    async fn create_widget(
        &self,
        request: NewWidgetRequest,
        public_url: &str,
    ) -> Result<CreatedWidget>;
    async fn widgets(&self, tenant: Option<&str>) -> Result<Vec<WidgetSummary>>;
    async fn widget(&self, id: &str) -> Result<WidgetSummary>;
    async fn update_widget(&self, id: &str, update: WidgetUpdate) -> Result<WidgetSummary>;
    async fn delete_widget(&self, id: &str) -> Result<()>;
    async fn widget_snippet(
        &self,
        id: &str,
        public_url: &str,
        assets_dir: Option<&Path>,
    ) -> Result<WidgetSnippet>;

    async fn create_key(&self, tenant: Option<&str>, request: NewKeyRequest) -> Result<CreatedKey>;
    async fn keys(&self, tenant: Option<&str>, widget: Option<&str>) -> Result<Vec<KeySummary>>;
    async fn rotate_key(&self, id: &str, request: RotateKeyRequest) -> Result<CreatedKey>;
    async fn revoke_key(&self, id: &str) -> Result<()>;
    async fn key_events(&self, id: &str) -> Result<KeyEventList>;

    async fn usage(&self, tenant: Option<&str>, query: UsageQuery) -> Result<UsageReport>;
    async fn seller_usage(
        &self,
        tenant: Option<&str>,
        query: SellerUsageQuery,
    ) -> Result<SellerUsageReport>;
}

impl AdminBackend for AdminClient {
    async fn create_agent(
        &self,
        tenant: Option<&str>,
        request: NewAgentRequest,
    ) -> Result<AgentSummary> {
        no_tenant(tenant)?;
        remote(self, AdminClient::create_agent(self, &request).await)
    }

    async fn agents(&self, tenant: Option<&str>) -> Result<Vec<AgentSummary>> {
        no_tenant(tenant)?;
        remote(self, AdminClient::agents(self).await).map(|list| list.agents)
    }

    async fn agent(&self, id: &str) -> Result<AgentSummary> {
        remote(self, AdminClient::agent(self, id).await)
    }

    async fn update_agent(&self, id: &str, update: AgentUpdate) -> Result<AgentSummary> {
        remote(self, AdminClient::update_agent(self, id, &update).await)
    }

    async fn delete_agent(&self, id: &str) -> Result<()> {
        remote(self, AdminClient::delete_agent(self, id).await)
    }

    async fn catalog(&self) -> Result<Vec<PublishedAgent>> {
        remote(self, AdminClient::catalog(self).await).map(|list| list.agents)
    }

    async fn published_agent(&self, id: &str) -> Result<PublishedAgent> {
        remote(self, AdminClient::published_agent(self, id).await)
    }

    async fn create_published_agent(
        &self,
        tenant: Option<&str>,
        request: NewPublishedAgent,
    ) -> Result<PublishedAgent> {
        no_tenant(tenant)?;
        remote(
            self,
            AdminClient::create_published_agent(self, &request).await,
        )
    }

    async fn update_published_agent(
        &self,
        id: &str,
        update: PublishedAgentUpdate,
    ) -> Result<PublishedAgent> {
        remote(
            self,
            AdminClient::update_published_agent(self, id, &update).await,
        )
    }

    async fn publish_version(&self, id: &str, request: NewAgentVersion) -> Result<AgentVersion> {
        remote(self, AdminClient::publish_version(self, id, &request).await)
    }

    async fn subscriptions(&self, tenant: Option<&str>) -> Result<Vec<Subscription>> {
        no_tenant(tenant)?;
        remote(self, AdminClient::subscriptions(self).await).map(|list| list.subscriptions)
    }

    async fn subscription(&self, id: &str) -> Result<Subscription> {
        remote(self, AdminClient::subscription(self, id).await)
    }

    async fn subscribe(
        &self,
        tenant: Option<&str>,
        request: NewSubscription,
    ) -> Result<Subscription> {
        no_tenant(tenant)?;
        remote(self, AdminClient::subscribe(self, &request).await)
    }

    async fn update_subscription(
        &self,
        id: &str,
        update: SubscriptionUpdate,
    ) -> Result<Subscription> {
        remote(
            self,
            AdminClient::update_subscription(self, id, &update).await,
        )
    }

    async fn create_widget(
        &self,
        request: NewWidgetRequest,
        _public_url: &str,
    ) -> Result<CreatedWidget> {
        remote(self, AdminClient::create_widget(self, &request).await)
    }

    async fn widgets(&self, tenant: Option<&str>) -> Result<Vec<WidgetSummary>> {
        no_tenant(tenant)?;
        remote(self, AdminClient::widgets(self).await).map(|list| list.widgets)
    }

    async fn widget(&self, id: &str) -> Result<WidgetSummary> {
        remote(self, AdminClient::widget(self, id).await)
    }

    async fn update_widget(&self, id: &str, update: WidgetUpdate) -> Result<WidgetSummary> {
        remote(self, AdminClient::update_widget(self, id, &update).await)
    }

    async fn delete_widget(&self, id: &str) -> Result<()> {
        remote(self, AdminClient::delete_widget(self, id).await)
    }

    async fn widget_snippet(
        &self,
        id: &str,
        _public_url: &str,
        _assets_dir: Option<&Path>,
    ) -> Result<WidgetSnippet> {
        remote(self, AdminClient::widget_snippet(self, id).await)
    }

    async fn create_key(&self, tenant: Option<&str>, request: NewKeyRequest) -> Result<CreatedKey> {
        no_tenant(tenant)?;
        remote(self, AdminClient::create_key(self, &request).await)
    }

    async fn keys(&self, tenant: Option<&str>, widget: Option<&str>) -> Result<Vec<KeySummary>> {
        no_tenant(tenant)?;
        let keys = remote(self, AdminClient::keys(self).await)?.keys;
        // The route lists all of the tenant's keys; one widget's are few enough
        // to pick out here.
        Ok(keys
            .into_iter()
            .filter(|key| widget.is_none_or(|widget| key.widget_id.as_deref() == Some(widget)))
            .collect())
    }

    async fn rotate_key(&self, id: &str, request: RotateKeyRequest) -> Result<CreatedKey> {
        remote(self, AdminClient::rotate_key(self, id, &request).await)
    }

    async fn revoke_key(&self, id: &str) -> Result<()> {
        remote(self, AdminClient::revoke_key(self, id).await)
    }

    async fn key_events(&self, id: &str) -> Result<KeyEventList> {
        remote(self, AdminClient::key_events(self, id).await)
    }

    async fn usage(&self, tenant: Option<&str>, query: UsageQuery) -> Result<UsageReport> {
        no_tenant(tenant)?;
        remote(self, AdminClient::usage(self, &query).await)
    }

    async fn seller_usage(
        &self,
        tenant: Option<&str>,
        query: SellerUsageQuery,
    ) -> Result<SellerUsageReport> {
        no_tenant(tenant)?;
        remote(self, AdminClient::seller_usage(self, &query).await)
    }
}

/// A server acts for its key's tenant only; naming another would be ignored, so
/// it is refused instead.
fn no_tenant(tenant: Option<&str>) -> Result<()> {
    if tenant.is_some() {
        bail!("--tenant is for the local database; with --server the key's tenant is used");
    }
    Ok(())
}

fn remote<T>(client: &AdminClient, result: Result<T, sitekit_sdk::Error>) -> Result<T> {
    remote_at(client.server_url(), result)
}

/// One line a person can act on: the server's own message and code when it
/// answered, which server could not be reached when it did not.
pub fn remote_at<T>(server_url: &str, result: Result<T, sitekit_sdk::Error>) -> Result<T> {
    result.map_err(|error| match error {
        sitekit_sdk::Error::Network(detail) => {
            anyhow::anyhow!("cannot reach {server_url}: {detail}")
        }
        sitekit_sdk::Error::Protocol(detail) => {
            anyhow::anyhow!(
                "{server_url} answered something other than the Site Kit embed API: {detail}"
            )
        }
        other @ (sitekit_sdk::Error::Api { .. }
        | sitekit_sdk::Error::Invalid(_)
        | sitekit_sdk::Error::Run { .. }) => anyhow::anyhow!("{other}"),
    })
}
