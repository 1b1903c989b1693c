//! The admin operations on this machine's database, as its operator: every
//! tenant's objects by id, checked by the same rules the admin API applies
//! (`agent_settings`, `widget_settings`, `scopes`, `snippet`, `usage_report`).

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail, ensure};
use sitekit_embed_server::agents::settings::{self as agent_settings, AgentSettings};
use sitekit_embed_server::agents::{Agent, AgentDeletion};
use sitekit_embed_server::assets::AssetStore;
use sitekit_embed_server::db::{Db, now_unix};
use sitekit_embed_server::egress::EgressPolicy;
use sitekit_embed_server::keys::scopes;
use sitekit_embed_server::keys::{DEFAULT_ROTATION_GRACE_SECS, NewAdminKey};
use sitekit_embed_server::keys::{KeyKind, KeyMode};
use sitekit_embed_server::tenants::TenantScope;
use sitekit_embed_server::usage::report::{UsageRange, named_subjects, subject_name};
use sitekit_embed_server::widgets::Widget;
use sitekit_embed_server::widgets::{settings as widget_settings, snippet};
use sitekit_sdk::admin::{
    AdminKeyKind, AgentSummary, AgentUpdate, CreatedKey, CreatedWidget, KeyEventList, KeySummary,
    NewAgentRequest, NewKeyRequest, NewWidgetRequest, RotateKeyRequest, UsageQuery, UsageReport,
    WidgetSnippet, WidgetSummary, WidgetUpdate,
};

use crate::cli::backend::AdminBackend;

/// How the audit trail names changes made with this command line.
const CLI_ACTOR: &str = "cli";

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

    async fn existing_tenant<'a>(&self, tenant: Option<&'a str>) -> Result<&'a str> {
        let tenant = tenant.context(
            "--tenant is needed on the local database (with --server, the key's tenant is used)",
        )?;
        ensure!(
            self.db.tenant_exists(tenant).await?,
            "no tenant with id {tenant}"
        );
        Ok(tenant)
    }

    async fn stored_agent(&self, id: &str) -> Result<Agent> {
        self.db
            .agent(id)
            .await?
            .with_context(|| format!("no agent with id {id}"))
    }

    async fn stored_widget(&self, id: &str) -> Result<Widget> {
        let (widget, _) = self
            .db
            .widget_with_agent(id)
            .await?
            .with_context(|| format!("no widget with id {id}"))?;
        Ok(widget)
    }
}

fn key_mode(test_mode: bool) -> KeyMode {
    if test_mode {
        KeyMode::Test
    } else {
        KeyMode::Live
    }
}

fn no_active_key(id: &str) -> anyhow::Error {
    anyhow!("no active key with id {id} (list them with `sitekit keys list`)")
}

impl AdminBackend for LocalAdmin {
    async fn create_agent(
        &self,
        tenant: Option<&str>,
        request: NewAgentRequest,
    ) -> Result<AgentSummary> {
        let tenant = self.existing_tenant(tenant).await?;
        let settings = AgentSettings::from_request(&request, &self.runtime_allow)?;
        Ok(self.db.create_agent(tenant, settings).await?.into())
    }

    async fn agents(&self, tenant: Option<&str>) -> Result<Vec<AgentSummary>> {
        let agents = self.db.agents(&TenantScope::operator_or(tenant)).await?;
        Ok(agents.into_iter().map(AgentSummary::from).collect())
    }

    async fn agent(&self, id: &str) -> Result<AgentSummary> {
        Ok(self.stored_agent(id).await?.into())
    }

    async fn update_agent(&self, id: &str, update: AgentUpdate) -> Result<AgentSummary> {
        let mut agent = self.stored_agent(id).await?;
        agent_settings::apply_update(&mut agent, update, &self.runtime_allow)?;
        ensure!(self.db.update_agent(&agent).await?, "no agent with id {id}");
        Ok(agent.into())
    }

    async fn delete_agent(&self, id: &str) -> Result<()> {
        let agent = self.stored_agent(id).await?;
        match self.db.delete_agent(&agent.tenant_id, id).await? {
            AgentDeletion::Deleted => Ok(()),
            AgentDeletion::InUse => bail!("widgets still use agent {id}; delete them first"),
            AgentDeletion::NotFound => bail!("no agent with id {id}"),
        }
    }

    async fn create_widget(
        &self,
        request: NewWidgetRequest,
        public_url: &str,
    ) -> Result<CreatedWidget> {
        let agent = self.stored_agent(&request.agent_id).await?;
        let settings = widget_settings::WidgetSettings::from_request(&request)?;
        let (widget, key) = self
            .db
            .create_widget(&agent, settings, key_mode(request.test_mode), CLI_ACTOR)
            .await?;
        Ok(CreatedWidget {
            snippet: snippet::auto_updating(public_url, key.expose()),
            publishable_key: key.expose().to_owned(),
            widget: widget.into(),
        })
    }

    async fn widgets(&self, tenant: Option<&str>) -> Result<Vec<WidgetSummary>> {
        let widgets = self.db.widgets(&TenantScope::operator_or(tenant)).await?;
        Ok(widgets.into_iter().map(WidgetSummary::from).collect())
    }

    async fn widget(&self, id: &str) -> Result<WidgetSummary> {
        Ok(self.stored_widget(id).await?.into())
    }

    async fn update_widget(&self, id: &str, update: WidgetUpdate) -> Result<WidgetSummary> {
        let mut widget = self.stored_widget(id).await?;
        let test_mode = self.db.widget_is_test_mode(id).await?;
        widget_settings::apply_update(&mut widget, update, test_mode)?;
        ensure!(
            self.db.update_widget(&widget).await?,
            "no widget with id {id}"
        );
        Ok(widget.into())
    }

    async fn delete_widget(&self, id: &str) -> Result<()> {
        let widget = self.stored_widget(id).await?;
        ensure!(
            self.db
                .delete_widget(&widget.tenant_id, id, CLI_ACTOR)
                .await?,
            "no widget with id {id}"
        );
        Ok(())
    }

    async fn widget_snippet(
        &self,
        id: &str,
        public_url: &str,
        assets_dir: Option<&Path>,
    ) -> Result<WidgetSnippet> {
        self.stored_widget(id).await?;
        let key = self.db.publishable_key_of(id).await?.with_context(|| {
            format!(
                "widget {id} has no snippet: its publishable key was revoked; \
                 create a new widget for the site"
            )
        })?;
        // The pinned snippet's integrity must be that of the loader the server
        // serves, so it comes from the same assets `serve` would use.
        let assets = AssetStore::locate(assets_dir)
            .context("the pinned snippet needs the built assets the server serves")?;
        Ok(snippet::for_widget(id, public_url, &key, &assets.manifest))
    }

    async fn create_key(&self, tenant: Option<&str>, request: NewKeyRequest) -> Result<CreatedKey> {
        let tenant = self.existing_tenant(tenant).await?;
        let kind = match request.kind {
            AdminKeyKind::Secret => KeyKind::Secret,
            AdminKeyKind::Restricted => KeyKind::Restricted,
        };
        let listed = request.scopes.map(|scopes| scopes.join(" "));
        let scopes = scopes::for_new_key(kind, listed.as_deref())
            .map_err(|why| anyhow!("{why} (--scopes)"))?;
        let (id, key) = self
            .db
            .create_admin_key(NewAdminKey {
                tenant_id: tenant,
                kind,
                mode: key_mode(request.test_mode),
                scopes: &scopes,
                expires_at: request
                    .expires_in_days
                    .map(|days| now_unix() + i64::from(days) * 86_400),
                actor: CLI_ACTOR,
            })
            .await?;
        Ok(CreatedKey {
            id,
            key: key.expose().to_owned(),
            scopes: scopes.split(' ').map(str::to_owned).collect(),
        })
    }

    async fn keys(&self, tenant: Option<&str>, widget: Option<&str>) -> Result<Vec<KeySummary>> {
        let keys = self
            .db
            .list_keys(&TenantScope::operator_or(tenant), widget)
            .await?;
        Ok(keys.into_iter().map(KeySummary::from).collect())
    }

    async fn rotate_key(&self, id: &str, request: RotateKeyRequest) -> Result<CreatedKey> {
        let grace = request.grace_seconds.unwrap_or(DEFAULT_ROTATION_GRACE_SECS);
        let rotated = self
            .db
            .rotate_key(&TenantScope::Operator, id, grace, None, CLI_ACTOR)
            .await?
            .ok_or_else(|| no_active_key(id))?;
        Ok(CreatedKey {
            id: rotated.id,
            key: rotated.key.expose().to_owned(),
            scopes: rotated.scopes.split(' ').map(str::to_owned).collect(),
        })
    }

    async fn revoke_key(&self, id: &str) -> Result<()> {
        if self
            .db
            .revoke_key(&TenantScope::Operator, id, CLI_ACTOR)
            .await?
        {
            Ok(())
        } else {
            Err(no_active_key(id))
        }
    }

    async fn key_events(&self, id: &str) -> Result<KeyEventList> {
        ensure!(
            self.db.key_exists(&TenantScope::Operator, id).await?,
            "no key with id {id} (list them with `sitekit keys list`)"
        );
        let events = self.db.key_events(id).await?;
        Ok(KeyEventList {
            key_id: id.to_owned(),
            events: events.into_iter().map(Into::into).collect(),
        })
    }

    async fn usage(&self, tenant: Option<&str>, query: UsageQuery) -> Result<UsageReport> {
        let range = UsageRange::parse(query.from.as_deref(), query.to.as_deref())?;
        for (subject, id) in named_subjects(&query) {
            ensure!(
                self.db
                    .usage_subject_exists(&TenantScope::operator_or(tenant), subject, id)
                    .await?,
                "no {} with id {id}{}",
                subject_name(subject),
                tenant
                    .map(|tenant| format!(" in tenant {tenant}"))
                    .unwrap_or_default()
            );
        }
        let rows = self
            .db
            .daily_usage(&range.filter(TenantScope::operator_or(tenant), &query))
            .await?;
        Ok(range.report(rows))
    }
}
