//! Agents: a tenant's binding to an agent runtime (kind, URL, flow, credential).
//! None of it ever reaches a browser.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, new_id, now_unix};

#[derive(Clone)]
pub struct Agent {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub runtime: String,
    pub base_url: String,
    pub flow_id: String,
    pub runtime_key: String,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The runtime credential is left out on purpose: it must never be logged.
        f.debug_struct("Agent")
            .field("id", &self.id)
            .field("runtime", &self.runtime)
            .field("base_url", &self.base_url)
            .field("flow_id", &self.flow_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
pub struct NewAgent<'a> {
    pub tenant_id: &'a str,
    pub name: &'a str,
    pub runtime: &'a str,
    pub base_url: &'a str,
    pub flow_id: &'a str,
    pub runtime_key: &'a str,
}

impl Agent {
    pub(super) fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Agent {
            id: row.try_get("agent_id")?,
            tenant_id: row.try_get("agent_tenant_id")?,
            name: row.try_get("agent_name")?,
            runtime: row.try_get("runtime")?,
            base_url: row.try_get("base_url")?,
            flow_id: row.try_get("flow_id")?,
            runtime_key: row.try_get("runtime_key")?,
        })
    }
}

/// The columns [`Agent::from_row`] reads, for queries that join agents.
pub(super) const AGENT_COLUMNS: &str = "agents.id AS agent_id, agents.tenant_id AS agent_tenant_id, \
     agents.name AS agent_name, agents.runtime, agents.base_url, agents.flow_id, agents.runtime_key";

impl Db {
    pub async fn create_agent(&self, new: NewAgent<'_>) -> Result<Agent, sqlx::Error> {
        let agent = Agent {
            id: new_id("agt"),
            tenant_id: new.tenant_id.to_owned(),
            name: new.name.to_owned(),
            runtime: new.runtime.to_owned(),
            base_url: new.base_url.to_owned(),
            flow_id: new.flow_id.to_owned(),
            runtime_key: new.runtime_key.to_owned(),
        };
        sqlx::query(
            "INSERT INTO agents (id, tenant_id, name, runtime, base_url, flow_id, runtime_key, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&agent.id)
        .bind(&agent.tenant_id)
        .bind(&agent.name)
        .bind(&agent.runtime)
        .bind(&agent.base_url)
        .bind(&agent.flow_id)
        .bind(&agent.runtime_key)
        .bind(now_unix())
        .execute(&self.pool)
        .await?;
        Ok(agent)
    }

    /// One agent, only if it belongs to `tenant_id`.
    pub async fn agent_of_tenant(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<Agent>, sqlx::Error> {
        Ok(self
            .agent(id)
            .await?
            .filter(|agent| agent.tenant_id == tenant_id))
    }

    pub async fn agent(&self, id: &str) -> Result<Option<Agent>, sqlx::Error> {
        let sql = format!("SELECT {AGENT_COLUMNS} FROM agents WHERE agents.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Agent::from_row).transpose()
    }
}
