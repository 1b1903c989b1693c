//! Agents: a tenant's binding to an agent runtime (kind, URL, flow, credential).
//! None of it ever reaches a browser.

use sitekit_sdk::admin::{AgentSummary, AgentTimeouts};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::agents::RuntimeKind;
use crate::agents::settings::AgentSettings;
use crate::db::{Db, new_id, now_unix};
use crate::master_key::SecretPlace;
use crate::tenants::TenantScope;

/// What deleting an agent found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentDeletion {
    Deleted,
    /// Widgets still use it: delete or move them first.
    InUse,
    NotFound,
}

#[derive(Clone)]
pub struct Agent {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub runtime: RuntimeKind,
    pub base_url: String,
    pub flow_id: String,
    pub model: String,
    pub system_prompt: String,
    pub timeouts: AgentTimeouts,
    pub runtime_key: String,
    /// Its number among a published agent's versions; 1 for an agent of an
    /// organisation's own, which has a single implicit version.
    pub version: u32,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The runtime credential is left out on purpose: it must never be logged.
        f.debug_struct("Agent")
            .field("id", &self.id)
            .field("runtime", &self.runtime)
            .field("base_url", &self.base_url)
            .field("flow_id", &self.flow_id)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Agent {
    /// The agent in `row`, its runtime key opened by `db`'s master key.
    pub(crate) fn from_row(row: &AnyRow, db: &Db) -> Result<Self, sqlx::Error> {
        let id: String = row.try_get("agent_id")?;
        let runtime_key = db.unseal(
            &row.try_get::<String, _>("runtime_key")?,
            &SecretPlace::RuntimeKey { agent_id: &id },
        )?;
        Ok(Agent {
            id,
            tenant_id: row.try_get("agent_tenant_id")?,
            name: row.try_get("agent_name")?,
            runtime: stored_kind(&row.try_get::<String, _>("runtime")?)?,
            base_url: row.try_get("base_url")?,
            flow_id: row.try_get("flow_id")?,
            model: row.try_get("model")?,
            system_prompt: row.try_get("system_prompt")?,
            timeouts: AgentTimeouts {
                connect_ms: millis(row, "connect_timeout_ms")?,
                first_event_ms: millis(row, "first_event_timeout_ms")?,
                idle_ms: millis(row, "idle_timeout_ms")?,
                total_ms: millis(row, "total_timeout_ms")?,
            },
            runtime_key,
            version: u32::try_from(row.try_get::<i64, _>("agent_version")?)
                .map_err(|error| sqlx::Error::Decode(Box::new(error)))?,
        })
    }
}

fn millis(row: &AnyRow, column: &str) -> Result<u32, sqlx::Error> {
    let value: i64 = row.try_get(column)?;
    u32::try_from(value).map_err(|error| sqlx::Error::Decode(Box::new(error)))
}

/// What the admin API and the CLI show of an agent: never its runtime credential.
impl From<Agent> for AgentSummary {
    fn from(agent: Agent) -> Self {
        AgentSummary {
            id: agent.id,
            name: agent.name,
            runtime: agent.runtime.as_str().to_owned(),
            base_url: agent.base_url,
            flow_id: agent.flow_id,
            model: agent.model,
            system_prompt: agent.system_prompt,
            timeouts: agent.timeouts,
        }
    }
}

/// The columns [`Agent::from_row`] reads, for queries that join agents.
pub(crate) const AGENT_COLUMNS: &str = "agents.id AS agent_id, agents.tenant_id AS agent_tenant_id, \
     agents.name AS agent_name, agents.runtime, agents.base_url, agents.flow_id, agents.runtime_key, \
     agents.model, agents.system_prompt, agents.connect_timeout_ms, agents.first_event_timeout_ms, \
     agents.idle_timeout_ms, agents.total_timeout_ms, COALESCE(agents.version, 1) AS agent_version";

impl Db {
    pub async fn create_agent(
        &self,
        tenant_id: &str,
        settings: AgentSettings,
    ) -> Result<Agent, sqlx::Error> {
        let agent = settings.into_agent(new_id("agt"), tenant_id.to_owned());
        let runtime_key = self.seal(
            &agent.runtime_key,
            &SecretPlace::RuntimeKey {
                agent_id: &agent.id,
            },
        )?;
        let mut writer = self.writer.connection().await?;
        sqlx::query(
            "INSERT INTO agents (id, tenant_id, name, runtime, base_url, flow_id, runtime_key, created_at, \
             model, system_prompt, connect_timeout_ms, first_event_timeout_ms, idle_timeout_ms, \
             total_timeout_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&agent.id)
        .bind(&agent.tenant_id)
        .bind(&agent.name)
        .bind(agent.runtime.as_str())
        .bind(&agent.base_url)
        .bind(&agent.flow_id)
        .bind(&runtime_key)
        .bind(now_unix())
        .bind(&agent.model)
        .bind(&agent.system_prompt)
        .bind(i64::from(agent.timeouts.connect_ms))
        .bind(i64::from(agent.timeouts.first_event_ms))
        .bind(i64::from(agent.timeouts.idle_ms))
        .bind(i64::from(agent.timeouts.total_ms))
        .execute(&mut *writer)
        .await?;
        Ok(agent)
    }

    /// The agents of `scope`, oldest first: the tenants' own, not the
    /// bindings of the versions they publish (see `catalog`).
    pub async fn agents(&self, scope: &TenantScope) -> Result<Vec<Agent>, sqlx::Error> {
        let sql = format!(
            "SELECT {AGENT_COLUMNS} FROM agents WHERE ($1 = 1 OR agents.tenant_id = $2) \
             AND agents.deleted_at IS NULL AND agents.published_agent_id IS NULL \
             ORDER BY agents.created_at, agents.id"
        );
        let rows = scope
            .bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| Agent::from_row(row, self)).collect()
    }

    /// Writes an agent's settings back (the caller has checked them), only if it
    /// belongs to its tenant and still exists.
    pub async fn update_agent(&self, agent: &Agent) -> Result<bool, sqlx::Error> {
        let runtime_key = self.seal(
            &agent.runtime_key,
            &SecretPlace::RuntimeKey {
                agent_id: &agent.id,
            },
        )?;
        let mut writer = self.writer.connection().await?;
        let updated = sqlx::query(
            "UPDATE agents SET name = $1, base_url = $2, flow_id = $3, runtime_key = $4, model = $7, \
             system_prompt = $8, connect_timeout_ms = $9, first_event_timeout_ms = $10, \
             idle_timeout_ms = $11, total_timeout_ms = $12 \
             WHERE id = $5 AND tenant_id = $6 AND deleted_at IS NULL \
             AND published_agent_id IS NULL",
        )
        .bind(&agent.name)
        .bind(&agent.base_url)
        .bind(&agent.flow_id)
        .bind(&runtime_key)
        .bind(&agent.id)
        .bind(&agent.tenant_id)
        .bind(&agent.model)
        .bind(&agent.system_prompt)
        .bind(i64::from(agent.timeouts.connect_ms))
        .bind(i64::from(agent.timeouts.first_event_ms))
        .bind(i64::from(agent.timeouts.idle_ms))
        .bind(i64::from(agent.timeouts.total_ms))
        .execute(&mut *writer)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    /// Deletes an agent no widget uses any more.
    pub async fn delete_agent(
        &self,
        tenant_id: &str,
        agent_id: &str,
    ) -> Result<AgentDeletion, sqlx::Error> {
        // One statement, so a widget created at the same moment cannot slip in
        // between a check and the delete.
        let mut writer = self.writer.connection().await?;
        let deleted = sqlx::query(
            "UPDATE agents SET deleted_at = $1 WHERE id = $2 AND tenant_id = $3 \
             AND deleted_at IS NULL AND published_agent_id IS NULL AND NOT EXISTS \
             (SELECT 1 FROM widgets WHERE widgets.agent_id = $2 AND widgets.deleted_at IS NULL)",
        )
        .bind(now_unix())
        .bind(agent_id)
        .bind(tenant_id)
        .execute(&mut *writer)
        .await?
        .rows_affected();
        drop(writer);
        if deleted == 1 {
            return Ok(AgentDeletion::Deleted);
        }
        Ok(
            match self
                .agent_in(&TenantScope::one(tenant_id), agent_id)
                .await?
            {
                Some(_) => AgentDeletion::InUse,
                None => AgentDeletion::NotFound,
            },
        )
    }

    /// One agent, only if `scope` reaches it: another tenant's agent is
    /// indistinguishable from one that does not exist.
    pub async fn agent_in(
        &self,
        scope: &TenantScope,
        id: &str,
    ) -> Result<Option<Agent>, sqlx::Error> {
        Ok(self
            .agent(id)
            .await?
            .filter(|agent| scope.reaches(&agent.tenant_id)))
    }

    /// One of the tenants' own agents (never a published version's binding).
    pub async fn agent(&self, id: &str) -> Result<Option<Agent>, sqlx::Error> {
        let sql = format!(
            "SELECT {AGENT_COLUMNS} FROM agents WHERE agents.id = $1 AND agents.deleted_at IS NULL \
             AND agents.published_agent_id IS NULL"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(|row| Agent::from_row(row, self))
            .transpose()
    }
}

/// A stored agent's runtime kind; the column holds only what
/// [`RuntimeKind::as_str`] wrote.
fn stored_kind(text: &str) -> Result<RuntimeKind, sqlx::Error> {
    RuntimeKind::parse(text)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown runtime kind `{text}`").into()))
}
