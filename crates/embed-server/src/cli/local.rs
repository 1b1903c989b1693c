//! The admin operations on this machine's database, as its operator: every
//! tenant's objects, or one tenant's with `--tenant`. Each command calls the
//! same operation the admin API calls (`agents::ops`, `catalog::ops`,
//! `subscriptions::ops`, `widgets::ops`, `keys::ops`, `usage::ops`), as a caller
//! holding every scope.

use std::path::Path;

use anyhow::{Context, Result, ensure};
use sitekit_embed_server::assets::AssetStore;
use sitekit_embed_server::db::Db;
use sitekit_embed_server::egress::EgressPolicy;
use sitekit_embed_server::keys::Caller;
use sitekit_embed_server::tenants::TenantId;
use sitekit_embed_server::{agents, catalog, keys, subscriptions, usage, widgets};
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

use crate::cli::backend::AdminBackend;

/// The local database, for the admin commands.
pub struct LocalAdmin {
    db: Db,
    /// Where agent runtimes may be: the same `--runtime-allow` as `serve`'s,
    /// so an agent saved here is one the server will connect to.
    runtime_allow: EgressPolicy,
}

impl LocalAdmin {
    pub fn new(db: Db, runtime_allow: EgressPolicy) -> Self {
        LocalAdmin { db, runtime_allow }
    }

    /// The operator, on the tenant `--tenant` names (which must exist), or on
    /// every tenant.
    async fn operator(&self, tenant: Option<&str>) -> Result<Caller> {
        if let Some(tenant) = tenant {
            ensure!(
                self.db.tenant_exists(tenant).await?,
                "no tenant with id {tenant}"
            );
        }
        Ok(Caller::operator(tenant.map(TenantId::new)))
    }
}

impl AdminBackend for LocalAdmin {
    async fn create_agent(
        &self,
        tenant: Option<&str>,
        request: NewAgentRequest,
    ) -> Result<AgentSummary> {
        let caller = self.operator(tenant).await?;
        Ok(agents::ops::create(&self.db, &caller, request, &self.runtime_allow).await?)
    }

    async fn agents(&self, tenant: Option<&str>) -> Result<Vec<AgentSummary>> {
        Ok(agents::ops::list(&self.db, &self.operator(tenant).await?).await?)
    }

    async fn agent(&self, id: &str) -> Result<AgentSummary> {
        Ok(agents::ops::get(&self.db, &Caller::operator(None), id).await?)
    }

    async fn update_agent(&self, id: &str, update: AgentUpdate) -> Result<AgentSummary> {
        let caller = Caller::operator(None);
        Ok(agents::ops::update(&self.db, &caller, id, update, &self.runtime_allow).await?)
    }

    async fn delete_agent(&self, id: &str) -> Result<()> {
        Ok(agents::ops::delete(&self.db, &Caller::operator(None), id).await?)
    }

    async fn catalog(&self) -> Result<Vec<PublishedAgent>> {
        Ok(catalog::ops::list(&self.db, &Caller::operator(None)).await?)
    }

    async fn published_agent(&self, id: &str) -> Result<PublishedAgent> {
        Ok(catalog::ops::get(&self.db, &Caller::operator(None), id).await?)
    }

    async fn create_published_agent(
        &self,
        tenant: Option<&str>,
        request: NewPublishedAgent,
    ) -> Result<PublishedAgent> {
        let caller = self.operator(tenant).await?;
        Ok(catalog::ops::create(&self.db, &caller, request).await?)
    }

    async fn update_published_agent(
        &self,
        id: &str,
        update: PublishedAgentUpdate,
    ) -> Result<PublishedAgent> {
        Ok(catalog::ops::update(&self.db, &Caller::operator(None), id, update).await?)
    }

    async fn publish_version(&self, id: &str, request: NewAgentVersion) -> Result<AgentVersion> {
        let caller = Caller::operator(None);
        Ok(
            catalog::ops::publish_version(&self.db, &caller, id, request, &self.runtime_allow)
                .await?,
        )
    }

    async fn subscriptions(&self, tenant: Option<&str>) -> Result<Vec<Subscription>> {
        Ok(subscriptions::ops::list(&self.db, &self.operator(tenant).await?).await?)
    }

    async fn subscription(&self, id: &str) -> Result<Subscription> {
        Ok(subscriptions::ops::get(&self.db, &Caller::operator(None), id).await?)
    }

    async fn subscribe(
        &self,
        tenant: Option<&str>,
        request: NewSubscription,
    ) -> Result<Subscription> {
        let caller = self.operator(tenant).await?;
        Ok(subscriptions::ops::create(&self.db, &caller, request).await?)
    }

    async fn update_subscription(
        &self,
        id: &str,
        update: SubscriptionUpdate,
    ) -> Result<Subscription> {
        let caller = Caller::operator(None);
        Ok(subscriptions::ops::update(&self.db, &caller, id, update).await?)
    }

    async fn create_widget(
        &self,
        request: NewWidgetRequest,
        public_url: &str,
    ) -> Result<CreatedWidget> {
        let caller = Caller::operator(None);
        Ok(widgets::ops::create(&self.db, &caller, request, public_url).await?)
    }

    async fn widgets(&self, tenant: Option<&str>) -> Result<Vec<WidgetSummary>> {
        Ok(widgets::ops::list(&self.db, &self.operator(tenant).await?).await?)
    }

    async fn widget(&self, id: &str) -> Result<WidgetSummary> {
        Ok(widgets::ops::get(&self.db, &Caller::operator(None), id).await?)
    }

    async fn update_widget(&self, id: &str, update: WidgetUpdate) -> Result<WidgetSummary> {
        Ok(widgets::ops::update(&self.db, &Caller::operator(None), id, update).await?)
    }

    async fn delete_widget(&self, id: &str) -> Result<()> {
        Ok(widgets::ops::delete(&self.db, &Caller::operator(None), id).await?)
    }

    async fn widget_snippet(
        &self,
        id: &str,
        public_url: &str,
        assets_dir: Option<&Path>,
    ) -> Result<WidgetSnippet> {
        let caller = Caller::operator(None);
        // A missing widget is named before missing assets are.
        widgets::ops::get(&self.db, &caller, id).await?;
        // The pinned snippet's integrity must be that of the loader the server
        // serves, so it comes from the same assets `serve` would use.
        let assets = AssetStore::locate(assets_dir)
            .context("the pinned snippet needs the built assets the server serves")?;
        let snippet =
            widgets::ops::snippet(&self.db, &caller, id, public_url, &assets.manifest).await?;
        Ok(snippet)
    }

    async fn create_key(&self, tenant: Option<&str>, request: NewKeyRequest) -> Result<CreatedKey> {
        let caller = self.operator(tenant).await?;
        Ok(keys::ops::create(&self.db, &caller, request).await?)
    }

    async fn keys(&self, tenant: Option<&str>, widget: Option<&str>) -> Result<Vec<KeySummary>> {
        Ok(keys::ops::list(&self.db, &self.operator(tenant).await?, widget).await?)
    }

    async fn rotate_key(&self, id: &str, request: RotateKeyRequest) -> Result<CreatedKey> {
        Ok(keys::ops::rotate(&self.db, &Caller::operator(None), id, request).await?)
    }

    async fn revoke_key(&self, id: &str) -> Result<()> {
        Ok(keys::ops::revoke(&self.db, &Caller::operator(None), id).await?)
    }

    async fn key_events(&self, id: &str) -> Result<KeyEventList> {
        Ok(keys::ops::events(&self.db, &Caller::operator(None), id).await?)
    }

    async fn usage(&self, tenant: Option<&str>, query: UsageQuery) -> Result<UsageReport> {
        Ok(usage::ops::report(&self.db, &self.operator(tenant).await?, &query).await?)
    }

    async fn seller_usage(
        &self,
        tenant: Option<&str>,
        query: SellerUsageQuery,
    ) -> Result<SellerUsageReport> {
        let caller = self.operator(tenant).await?;
        Ok(usage::ops::seller_report(&self.db, &caller, &query).await?)
    }
}
