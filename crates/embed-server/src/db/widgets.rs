//! Widgets (an agent on a set of websites, with its look) and their publishable keys.

use sitekit_sdk::wire::Position;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::agents::AGENT_COLUMNS;
use super::keys::record_key_created;
use super::{Agent, Db, new_id, now_unix};
use crate::keys::{KeyKind, KeyMode, ParsedKey};
use crate::origin::OriginAllowlist;

#[derive(Debug, Clone)]
pub struct Widget {
    pub id: String,
    pub tenant_id: String,
    pub agent_id: String,
    pub title: String,
    pub greeting: String,
    pub locale: String,
    pub primary_color: String,
    pub position: String,
    pub allowed_origins: OriginAllowlist,
    pub enabled: bool,
    /// Messages a day over all visitors; 0 means no budget.
    pub daily_message_budget: i64,
}

#[derive(Debug)]
pub struct NewWidget<'a> {
    pub agent: &'a Agent,
    pub title: &'a str,
    pub greeting: &'a str,
    pub locale: &'a str,
    pub primary_color: &'a str,
    pub position: &'a str,
    pub allowed_origins: OriginAllowlist,
    pub daily_message_budget: i64,
    pub mode: KeyMode,
    /// Who creates it, for the key audit trail (e.g. `cli:root`).
    pub actor: &'a str,
}

/// A publishable key as stored: never the key itself, only what checks need.
#[derive(Debug, Clone)]
pub struct PublishableKeyRecord {
    pub id: String,
    pub generation: i64,
    pub scopes: String,
    pub revoked: bool,
}

const WIDGET_COLUMNS: &str = "widgets.id, widgets.tenant_id, widgets.agent_id, widgets.title, \
     widgets.greeting, widgets.locale, widgets.primary_color, widgets.position, \
     widgets.allowed_origins, widgets.enabled, widgets.daily_message_budget";

/// The scopes every publishable key carries, and no more.
pub const PUBLISHABLE_SCOPES: &str = "chat usage:write";

impl Widget {
    /// Where the launcher sits; anything but `left` is the default, right.
    pub fn position(&self) -> Position {
        if self.position == "left" {
            Position::Left
        } else {
            Position::Right
        }
    }

    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Widget {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            agent_id: row.try_get("agent_id")?,
            title: row.try_get("title")?,
            greeting: row.try_get("greeting")?,
            locale: row.try_get("locale")?,
            primary_color: row.try_get("primary_color")?,
            position: row.try_get("position")?,
            allowed_origins: OriginAllowlist::from_stored(row.try_get("allowed_origins")?),
            enabled: row.try_get::<i64, _>("enabled")? != 0,
            daily_message_budget: row.try_get("daily_message_budget")?,
        })
    }
}

impl Db {
    /// Creates a widget and its publishable key in one transaction.
    pub async fn create_widget(
        &self,
        new: NewWidget<'_>,
    ) -> Result<(Widget, ParsedKey), sqlx::Error> {
        let widget = Widget {
            id: new_id("wgt"),
            tenant_id: new.agent.tenant_id.clone(),
            agent_id: new.agent.id.clone(),
            title: new.title.to_owned(),
            greeting: new.greeting.to_owned(),
            locale: new.locale.to_owned(),
            primary_color: new.primary_color.to_owned(),
            position: new.position.to_owned(),
            allowed_origins: new.allowed_origins,
            enabled: true,
            daily_message_budget: new.daily_message_budget,
        };
        let key = ParsedKey::generate(KeyKind::Publishable, new.mode);
        let key_id = new_id("key");
        let now = now_unix();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO widgets (id, tenant_id, agent_id, title, greeting, locale, primary_color, \
             position, allowed_origins, enabled, daily_message_budget, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&widget.id)
        .bind(&widget.tenant_id)
        .bind(&widget.agent_id)
        .bind(&widget.title)
        .bind(&widget.greeting)
        .bind(&widget.locale)
        .bind(&widget.primary_color)
        .bind(&widget.position)
        .bind(widget.allowed_origins.to_stored())
        .bind(i64::from(widget.enabled))
        .bind(widget.daily_message_budget)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO api_keys (id, tenant_id, widget_id, kind, mode, secret_hash, display_prefix, \
             last4, publishable_value, scopes, generation, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11)",
        )
        .bind(&key_id)
        .bind(&widget.tenant_id)
        .bind(&widget.id)
        .bind(key.kind.as_str())
        .bind(key.mode.as_str())
        .bind(key.hash())
        .bind(key.display_prefix())
        .bind(key.last4())
        .bind(key.expose())
        .bind(PUBLISHABLE_SCOPES)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        record_key_created(&mut tx, &key_id, &widget.tenant_id, new.actor, now).await?;
        tx.commit().await?;
        Ok((widget, key))
    }

    /// The widget a publishable key belongs to, found by the key's hash.
    pub async fn widget_by_publishable_key(
        &self,
        key: &ParsedKey,
    ) -> Result<Option<(Widget, PublishableKeyRecord)>, sqlx::Error> {
        let sql = format!(
            "SELECT {WIDGET_COLUMNS}, api_keys.id AS key_id, api_keys.generation, api_keys.scopes, \
             api_keys.revoked_at FROM api_keys JOIN widgets ON widgets.id = api_keys.widget_id \
             WHERE api_keys.secret_hash = $1 AND api_keys.kind = 'pub'"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key.hash())
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let record = PublishableKeyRecord {
            id: row.try_get("key_id")?,
            generation: row.try_get("generation")?,
            scopes: row.try_get("scopes")?,
            revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
        };
        Ok(Some((Widget::from_row(&row)?, record)))
    }

    /// Writes a widget's settings back (the caller has checked them). Matching on
    /// the tenant too means no caller can ever change another tenant's widget.
    pub async fn update_widget(&self, widget: &Widget) -> Result<bool, sqlx::Error> {
        let updated = sqlx::query(
            "UPDATE widgets SET title = $1, greeting = $2, locale = $3, primary_color = $4, \
             position = $5, allowed_origins = $6, enabled = $7, daily_message_budget = $8 \
             WHERE id = $9 AND tenant_id = $10",
        )
        .bind(&widget.title)
        .bind(&widget.greeting)
        .bind(&widget.locale)
        .bind(&widget.primary_color)
        .bind(&widget.position)
        .bind(widget.allowed_origins.to_stored())
        .bind(i64::from(widget.enabled))
        .bind(widget.daily_message_budget)
        .bind(&widget.id)
        .bind(&widget.tenant_id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    /// The widgets of one tenant, oldest first.
    pub async fn widgets_of_tenant(&self, tenant_id: &str) -> Result<Vec<Widget>, sqlx::Error> {
        let sql = format!(
            "SELECT {WIDGET_COLUMNS} FROM widgets WHERE tenant_id = $1 ORDER BY created_at, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(Widget::from_row).collect()
    }

    /// One widget, only if it belongs to `tenant_id`: another tenant's widget is
    /// indistinguishable from one that does not exist.
    pub async fn widget_of_tenant(
        &self,
        tenant_id: &str,
        widget_id: &str,
    ) -> Result<Option<Widget>, sqlx::Error> {
        let sql = format!("SELECT {WIDGET_COLUMNS} FROM widgets WHERE tenant_id = $1 AND id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(widget_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Widget::from_row).transpose()
    }

    /// The publishable key of a widget, for snippets (publishable keys are public
    /// by design; no other kind is ever stored in full).
    pub async fn publishable_key_of(&self, widget_id: &str) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT publishable_value FROM api_keys WHERE widget_id = $1 AND kind = 'pub' \
             AND revoked_at IS NULL ORDER BY created_at DESC LIMIT 1",
        )
        .bind(widget_id)
        .fetch_optional(&self.pool)
        .await
    }

    /// A widget and the agent behind it, for a chat run.
    pub async fn widget_with_agent(
        &self,
        widget_id: &str,
    ) -> Result<Option<(Widget, Agent)>, sqlx::Error> {
        let sql = format!(
            "SELECT {WIDGET_COLUMNS}, {AGENT_COLUMNS} FROM widgets \
             JOIN agents ON agents.id = widgets.agent_id WHERE widgets.id = $1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(widget_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok((Widget::from_row(&row)?, Agent::from_row(&row)?)))
            .transpose()
    }
}
