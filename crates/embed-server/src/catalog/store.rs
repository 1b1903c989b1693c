//! The catalog's rows: published agents, and their versions, each an agent row
//! of the seller's (its runtime binding) that nothing changes once written.

use sitekit_sdk::catalog::{BuyerSettings, Canary, PublishedAgentStatus};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::agents::settings::AgentSettings;
use crate::agents::{AGENT_COLUMNS, Agent};
use crate::db::{Db, new_id, now_unix};
use crate::master_key::SecretPlace;
use crate::tenants::TenantScope;

/// A published agent, with the name of the organisation that sells it.
#[derive(Debug, Clone)]
pub struct CatalogEntry {
    pub id: String,
    pub seller_id: String,
    pub seller_name: String,
    pub name: String,
    pub description: String,
    pub icon_url: Option<String>,
    pub status: PublishedAgentStatus,
    /// What subscriptions that follow the latest run; None before the first
    /// version.
    pub released_version: Option<u32>,
    pub canary: Option<Canary>,
}

/// One version of a published agent.
#[derive(Debug, Clone)]
pub struct VersionRecord {
    pub published_agent_id: String,
    pub version: u32,
    pub release_notes: String,
    pub buyer_settings: BuyerSettings,
    pub published_at: i64,
    /// The runtime binding it runs.
    pub binding: Agent,
}

/// What a new version holds besides its binding.
#[derive(Debug, Clone)]
pub struct VersionNotes {
    pub release_notes: String,
    pub buyer_settings: BuyerSettings,
    /// Released as a canary to this share of the subscriptions that follow
    /// the latest; None releases it to all of them.
    pub canary_percent: Option<u8>,
}

const ENTRY_COLUMNS: &str = "published_agents.id, published_agents.seller_id, \
     tenants.name AS seller_name, published_agents.name, published_agents.description, \
     published_agents.icon_url, published_agents.status, published_agents.released_version, \
     published_agents.canary_version, published_agents.canary_percent";

/// Which entries an organisation may see: all but the ones withdrawn or not
/// published yet, and every one of its own. `$1`, `$2` as [`TenantScope::bind`].
const VISIBLE: &str = "($1 = 1 OR published_agents.seller_id = $2 OR \
     (published_agents.status <> 'withdrawn' AND EXISTS \
     (SELECT 1 FROM agents WHERE agents.published_agent_id = published_agents.id)))";

impl CatalogEntry {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let status: String = row.try_get("status")?;
        let number =
            |value: i64| u32::try_from(value).map_err(|error| sqlx::Error::Decode(Box::new(error)));
        let canary_version: Option<i64> = row.try_get("canary_version")?;
        let canary_percent: i64 = row.try_get("canary_percent")?;
        Ok(CatalogEntry {
            released_version: row
                .try_get::<Option<i64>, _>("released_version")?
                .map(number)
                .transpose()?,
            canary: match canary_version {
                Some(version) => Some(Canary {
                    version: number(version)?,
                    percent: u8::try_from(canary_percent)
                        .map_err(|error| sqlx::Error::Decode(Box::new(error)))?,
                }),
                None => None,
            },
            id: row.try_get("id")?,
            seller_id: row.try_get("seller_id")?,
            seller_name: row.try_get("seller_name")?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            icon_url: row.try_get("icon_url")?,
            status: PublishedAgentStatus::parse(&status).ok_or_else(|| {
                sqlx::Error::Decode(format!("unknown catalog status `{status}`").into())
            })?,
        })
    }
}

impl VersionRecord {
    fn from_row(row: &AnyRow, db: &Db) -> Result<Self, sqlx::Error> {
        let version: i64 = row.try_get("version")?;
        Ok(VersionRecord {
            published_agent_id: row.try_get("published_agent_id")?,
            version: u32::try_from(version)
                .map_err(|error| sqlx::Error::Decode(Box::new(error)))?,
            release_notes: row.try_get("release_notes")?,
            buyer_settings: BuyerSettings {
                prompt_addendum: row.try_get::<i64, _>("buyer_prompt_addendum")? == 1,
            },
            published_at: row.try_get("published_at")?,
            binding: Agent::from_row(row, db)?,
        })
    }
}

impl Db {
    pub async fn create_published_agent(
        &self,
        seller_id: &str,
        name: &str,
        description: &str,
        icon_url: Option<&str>,
    ) -> Result<String, sqlx::Error> {
        let id = new_id("pag");
        let mut writer = self.writer.connection().await?;
        sqlx::query(
            "INSERT INTO published_agents (id, seller_id, name, description, icon_url, status, \
             created_at) VALUES ($1, $2, $3, $4, $5, 'active', $6)",
        )
        .bind(&id)
        .bind(seller_id)
        .bind(name)
        .bind(description)
        .bind(icon_url)
        .bind(now_unix())
        .execute(&mut *writer)
        .await?;
        Ok(id)
    }

    /// The entries `viewer` may see, oldest first.
    pub async fn catalog(&self, viewer: &TenantScope) -> Result<Vec<CatalogEntry>, sqlx::Error> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM published_agents \
             JOIN tenants ON tenants.id = published_agents.seller_id \
             WHERE {VISIBLE} ORDER BY published_agents.created_at, published_agents.id"
        );
        let rows = viewer
            .bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(CatalogEntry::from_row).collect()
    }

    /// One entry, if `viewer` may see it.
    pub async fn catalog_entry(
        &self,
        viewer: &TenantScope,
        id: &str,
    ) -> Result<Option<CatalogEntry>, sqlx::Error> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM published_agents \
             JOIN tenants ON tenants.id = published_agents.seller_id \
             WHERE {VISIBLE} AND published_agents.id = $3"
        );
        let row = viewer
            .bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(CatalogEntry::from_row).transpose()
    }

    /// Writes an entry's name, description, icon, status and rollout back.
    pub async fn update_published_agent(&self, entry: &CatalogEntry) -> Result<(), sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        sqlx::query(
            "UPDATE published_agents SET name = $1, description = $2, icon_url = $3, status = $4, \
             released_version = $7, canary_version = $8, canary_percent = $9 \
             WHERE id = $5 AND seller_id = $6",
        )
        .bind(&entry.name)
        .bind(&entry.description)
        .bind(entry.icon_url.as_deref())
        .bind(entry.status.as_str())
        .bind(&entry.id)
        .bind(&entry.seller_id)
        .bind(entry.released_version.map(i64::from))
        .bind(entry.canary.map(|canary| i64::from(canary.version)))
        .bind(entry.canary.map_or(0, |canary| i64::from(canary.percent)))
        .execute(&mut *writer)
        .await?;
        Ok(())
    }

    /// The versions of the entries `viewer` may see, by entry and number.
    pub async fn catalog_versions(
        &self,
        viewer: &TenantScope,
        only: Option<&str>,
    ) -> Result<Vec<VersionRecord>, sqlx::Error> {
        let sql = format!(
            "SELECT {AGENT_COLUMNS}, agents.published_agent_id, agents.version, \
             agents.release_notes, agents.buyer_prompt_addendum, agents.created_at AS published_at \
             FROM agents JOIN published_agents ON published_agents.id = agents.published_agent_id \
             WHERE {VISIBLE} AND ($3 = '' OR published_agents.id = $3) \
             ORDER BY agents.published_agent_id, agents.version"
        );
        let rows = viewer
            .bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
            .bind(only.unwrap_or_default())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| VersionRecord::from_row(row, self))
            .collect()
    }

    /// Adds the next version of `entry`, running `settings`, owned by its seller.
    pub async fn publish_version(
        &self,
        entry: &CatalogEntry,
        settings: AgentSettings,
        notes: VersionNotes,
    ) -> Result<VersionRecord, sqlx::Error> {
        let binding = settings.into_agent(new_id("agt"), entry.seller_id.clone());
        let runtime_key = self.seal(
            &binding.runtime_key,
            &SecretPlace::RuntimeKey {
                agent_id: &binding.id,
            },
        )?;
        let published_at = now_unix();
        let mut writer = self.writer.connection().await?;
        let mut tx = writer.begin().await?;
        // The next number and the row in one statement; two nodes publishing
        // at the same moment meet at the unique index, and the one that
        // loses fails rather than sharing a number.
        sqlx::query(
            "INSERT INTO agents (id, tenant_id, name, runtime, base_url, flow_id, runtime_key, \
             created_at, model, system_prompt, connect_timeout_ms, first_event_timeout_ms, \
             idle_timeout_ms, total_timeout_ms, published_agent_id, version, release_notes, \
             buyer_prompt_addendum) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
             COALESCE(MAX(version), 0) + 1, $16, $17 FROM agents WHERE published_agent_id = $15",
        )
        .bind(&binding.id)
        .bind(&binding.tenant_id)
        .bind(&binding.name)
        .bind(binding.runtime.as_str())
        .bind(&binding.base_url)
        .bind(&binding.flow_id)
        .bind(&runtime_key)
        .bind(published_at)
        .bind(&binding.model)
        .bind(&binding.system_prompt)
        .bind(i64::from(binding.timeouts.connect_ms))
        .bind(i64::from(binding.timeouts.first_event_ms))
        .bind(i64::from(binding.timeouts.idle_ms))
        .bind(i64::from(binding.timeouts.total_ms))
        .bind(&entry.id)
        .bind(&notes.release_notes)
        .bind(i64::from(notes.buyer_settings.prompt_addendum))
        .execute(&mut *tx)
        .await?;
        let version: i64 = sqlx::query_scalar("SELECT version FROM agents WHERE id = $1")
            .bind(&binding.id)
            .fetch_one(&mut *tx)
            .await?;
        // Released to every subscription that follows the latest (ending any
        // canary), or a canary to a share of them, in the same transaction.
        let (rollout, percent) = match notes.canary_percent {
            None => (
                "UPDATE published_agents SET released_version = $1, canary_version = NULL, \
                 canary_percent = $3 WHERE id = $2",
                0,
            ),
            Some(percent) => (
                "UPDATE published_agents SET canary_version = $1, canary_percent = $3 \
                 WHERE id = $2",
                percent,
            ),
        };
        sqlx::query(rollout)
            .bind(version)
            .bind(&entry.id)
            .bind(i64::from(percent))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let version =
            u32::try_from(version).map_err(|error| sqlx::Error::Decode(Box::new(error)))?;
        Ok(VersionRecord {
            published_agent_id: entry.id.clone(),
            version,
            release_notes: notes.release_notes,
            buyer_settings: notes.buyer_settings,
            published_at,
            binding: Agent { version, ..binding },
        })
    }
}
