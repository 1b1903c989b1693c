//! Widgets (an agent on a set of websites, with its look) and their publishable keys.

use sitekit_sdk::admin::WidgetSummary;
use sitekit_sdk::wire::{Engagement, LauncherIcon, Position};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::agents::{AGENT_COLUMNS, Agent};
use crate::db::{Db, new_id, now_unix};
use crate::keys::scopes::Scopes;
use crate::keys::{KeyMode, ParsedKey};
use crate::keys::{insert_publishable_key, record_key_event};
use crate::subscriptions::RESOLVED_AGENT_ID;
use crate::tenants::TenantScope;
use crate::widgets::origin::OriginAllowlist;
use crate::widgets::settings::WidgetSettings;

#[derive(Debug, Clone)]
pub struct Widget {
    pub id: String,
    pub tenant_id: String,
    /// Its own agent; for a widget on a subscription, the version it was made
    /// with, which no run reads.
    pub agent_id: String,
    /// The subscription it runs, which picks the version each run runs.
    pub subscription_id: Option<String>,
    pub title: String,
    pub greeting: String,
    pub locale: String,
    pub primary_color: String,
    /// Text on the primary colour.
    pub primary_text_color: String,
    pub position: String,
    pub allowed_origins: OriginAllowlist,
    pub enabled: bool,
    /// Messages a day over all visitors; 0 means no budget.
    pub daily_message_budget: i64,
    /// Suggestions shown before the first message.
    pub starter_prompts: Vec<String>,
    pub avatar_url: Option<String>,
    /// Messages a minute from one visitor; 0 means the server's default.
    pub messages_per_visitor_per_minute: i64,
    /// Visitors see the agent's tool calls (AG-UI TOOL_CALL_* events).
    pub show_tool_events: bool,
    pub launcher_icon: LauncherIcon,
    /// Days the widget keeps a visitor's conversation without activity; 0: none.
    pub conversation_days: u32,
    /// The CSAT question, contact form and "talk to a person" button.
    pub engagement: Engagement,
    /// What the marketplace that provisioned it decides: see [`Marketplace`].
    pub marketplace: Marketplace,
}

/// What a marketplace decides of a widget it provisioned, apart from what
/// the widget's owner sets: the owner's settings never change these.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marketplace {
    /// The purchase's id there; none for a widget made by hand.
    pub external_id: Option<String>,
    /// Over the purchase's limit: the chat tells visitors it is paused.
    pub paused: bool,
    /// Messages a UTC calendar month; 0 means no budget.
    pub monthly_message_budget: i64,
}

/// What a new widget runs, and so whose it is.
#[derive(Debug, Clone)]
pub struct WidgetRuns {
    /// The organisation the agent or subscription belongs to.
    pub tenant_id: String,
    /// The agent; for a subscription, the version it resolves to now.
    pub agent_id: String,
    pub subscription_id: Option<String>,
}

/// A publishable key as stored: never the key itself, only what checks need.
#[derive(Debug, Clone)]
pub struct PublishableKeyRecord {
    pub id: String,
    pub generation: i64,
    pub scopes: Scopes,
    pub revoked: bool,
    /// Set while a rotated key's grace period runs (Unix seconds).
    pub expires_at: Option<i64>,
}

const WIDGET_COLUMNS: &str = "widgets.id, widgets.tenant_id, widgets.agent_id, \
     widgets.subscription_id, widgets.title, \
     widgets.greeting, widgets.locale, widgets.primary_color, widgets.primary_text_color, widgets.position, \
     widgets.allowed_origins, widgets.enabled, widgets.daily_message_budget, \
     widgets.starter_prompts, widgets.avatar_url, widgets.messages_per_visitor_per_minute, \
     widgets.show_tool_events, widgets.launcher_icon, widgets.conversation_days, \
     widgets.engagement, widgets.external_id, widgets.paused, widgets.monthly_message_budget";

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
            subscription_id: row.try_get("subscription_id")?,
            title: row.try_get("title")?,
            greeting: row.try_get("greeting")?,
            locale: row.try_get("locale")?,
            primary_color: row.try_get("primary_color")?,
            primary_text_color: row.try_get("primary_text_color")?,
            position: row.try_get("position")?,
            allowed_origins: OriginAllowlist::from_stored(row.try_get("allowed_origins")?),
            enabled: row.try_get::<i64, _>("enabled")? != 0,
            daily_message_budget: row.try_get("daily_message_budget")?,
            // Written only by `create_widget`/`update_widget` from a checked list.
            starter_prompts: serde_json::from_str(&row.try_get::<String, _>("starter_prompts")?)
                .map_err(|error| sqlx::Error::Decode(Box::new(error)))?,
            avatar_url: row.try_get("avatar_url")?,
            messages_per_visitor_per_minute: row.try_get("messages_per_visitor_per_minute")?,
            show_tool_events: row.try_get::<i64, _>("show_tool_events")? != 0,
            // Written only from a checked setting; a name this build does not
            // know (a newer node wrote it) shows the default.
            launcher_icon: LauncherIcon::from_name(&row.try_get::<String, _>("launcher_icon")?)
                .unwrap_or_default(),
            conversation_days: u32::try_from(row.try_get::<i64, _>("conversation_days")?)
                .map_err(|error| sqlx::Error::Decode(Box::new(error)))?,
            // Written only from checked settings; one this build cannot read
            // (a newer node wrote it) turns the extras off rather than the widget.
            engagement: serde_json::from_str(&row.try_get::<String, _>("engagement")?)
                .unwrap_or_default(),
            marketplace: Marketplace {
                external_id: row.try_get("external_id")?,
                paused: row.try_get::<i64, _>("paused")? != 0,
                monthly_message_budget: row.try_get("monthly_message_budget")?,
            },
        })
    }
}

/// What the admin API and the CLI show of a widget.
impl From<Widget> for WidgetSummary {
    fn from(widget: Widget) -> Self {
        WidgetSummary {
            allowed_origins: widget.allowed_origins.to_texts(),
            position: widget.position(),
            id: widget.id,
            // A widget runs one or the other, never both.
            agent_id: widget.subscription_id.is_none().then_some(widget.agent_id),
            subscription_id: widget.subscription_id,
            title: widget.title,
            greeting: widget.greeting,
            locale: widget.locale,
            primary_color: widget.primary_color,
            primary_text_color: widget.primary_text_color,
            enabled: widget.enabled,
            daily_message_budget: widget.daily_message_budget,
            starter_prompts: widget.starter_prompts,
            avatar_url: widget.avatar_url,
            messages_per_visitor_per_minute: widget.messages_per_visitor_per_minute,
            show_tool_events: widget.show_tool_events,
            launcher_icon: widget.launcher_icon,
            conversation_days: widget.conversation_days,
            engagement: widget.engagement,
            paused: widget.marketplace.paused,
            monthly_message_budget: widget.marketplace.monthly_message_budget,
            external_id: widget.marketplace.external_id,
        }
    }
}

fn prompts_json(prompts: &[String]) -> String {
    serde_json::to_string(prompts).expect("a list of strings serializes")
}

fn engagement_json(engagement: &Engagement) -> String {
    serde_json::to_string(engagement).expect("engagement settings serialize")
}

impl Db {
    /// Creates a widget and its publishable key in one transaction, with
    /// what a marketplace decides of it (nothing, for a widget made by hand);
    /// None, and nothing written, when the organisation has a widget with its
    /// external id already. `actor` is who creates it, for the key audit trail
    /// (e.g. `cli`).
    pub async fn provision_widget(
        &self,
        runs: WidgetRuns,
        settings: WidgetSettings,
        mode: KeyMode,
        actor: &str,
        marketplace: Marketplace,
    ) -> Result<Option<(Widget, ParsedKey)>, sqlx::Error> {
        let widget = Widget {
            id: new_id("wgt"),
            tenant_id: runs.tenant_id,
            agent_id: runs.agent_id,
            subscription_id: runs.subscription_id,
            title: settings.title,
            greeting: settings.greeting,
            locale: settings.locale,
            primary_color: settings.primary_color,
            primary_text_color: settings.primary_text_color,
            position: settings.position.to_owned(),
            allowed_origins: settings.allowed_origins,
            enabled: true,
            daily_message_budget: settings.daily_message_budget,
            starter_prompts: settings.starter_prompts,
            avatar_url: settings.avatar_url,
            messages_per_visitor_per_minute: settings.messages_per_visitor_per_minute,
            show_tool_events: settings.show_tool_events,
            launcher_icon: settings.launcher_icon,
            conversation_days: settings.conversation_days,
            engagement: settings.engagement,
            marketplace,
        };
        let now = now_unix();
        let mut writer = self.writer.connection().await?;
        let mut tx = writer.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO widgets (id, tenant_id, agent_id, title, greeting, locale, primary_color, \
             position, allowed_origins, enabled, daily_message_budget, starter_prompts, avatar_url, \
             messages_per_visitor_per_minute, created_at, primary_text_color, show_tool_events, \
             launcher_icon, conversation_days, subscription_id, external_id, paused, \
             monthly_message_budget, engagement) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, $19, $20, $21, $22, $23, $24) ON CONFLICT (tenant_id, external_id) DO NOTHING",
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
        .bind(prompts_json(&widget.starter_prompts))
        .bind(widget.avatar_url.as_deref())
        .bind(widget.messages_per_visitor_per_minute)
        .bind(now)
        .bind(&widget.primary_text_color)
        .bind(i64::from(widget.show_tool_events))
        .bind(widget.launcher_icon.as_str())
        .bind(i64::from(widget.conversation_days))
        .bind(widget.subscription_id.as_deref())
        .bind(widget.marketplace.external_id.as_deref())
        .bind(i64::from(widget.marketplace.paused))
        .bind(widget.marketplace.monthly_message_budget)
        .bind(engagement_json(&widget.engagement))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(None);
        }
        let (_, key) =
            insert_publishable_key(&mut tx, &widget.tenant_id, &widget.id, mode, actor, now)
                .await?;
        tx.commit().await?;
        Ok(Some((widget, key)))
    }

    /// The organisation's widget made for the purchase `external_id`, even a
    /// deleted one (a purchase never gets a second widget).
    pub async fn widget_by_external_id(
        &self,
        tenant_id: &str,
        external_id: &str,
    ) -> Result<Option<(Widget, bool)>, sqlx::Error> {
        let sql = format!(
            "SELECT {WIDGET_COLUMNS}, widgets.deleted_at FROM widgets \
             WHERE tenant_id = $1 AND external_id = $2"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(external_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            let deleted = row.try_get::<Option<i64>, _>("deleted_at")?.is_some();
            Ok((Widget::from_row(&row)?, deleted))
        })
        .transpose()
    }

    /// Sets what the marketplace decides of a widget. False when there is no
    /// such widget (or it was deleted).
    pub async fn set_marketplace_controls(
        &self,
        widget_id: &str,
        paused: bool,
        monthly_message_budget: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        let updated = sqlx::query(
            "UPDATE widgets SET paused = $1, monthly_message_budget = $2 \
             WHERE id = $3 AND deleted_at IS NULL",
        )
        .bind(i64::from(paused))
        .bind(monthly_message_budget)
        .bind(widget_id)
        .execute(&mut *writer)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    /// The widget a publishable key belongs to, found by the key's hash.
    pub async fn widget_by_publishable_key(
        &self,
        key: &ParsedKey,
    ) -> Result<Option<(Widget, PublishableKeyRecord)>, sqlx::Error> {
        let sql = format!(
            "SELECT {WIDGET_COLUMNS}, api_keys.id AS key_id, api_keys.generation, api_keys.scopes, \
             api_keys.revoked_at, api_keys.expires_at FROM api_keys JOIN widgets ON widgets.id = api_keys.widget_id \
             WHERE api_keys.secret_hash = $1 AND api_keys.kind = 'pub' AND widgets.deleted_at IS NULL"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key.hash())
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let record = PublishableKeyRecord {
            id: row.try_get("key_id")?,
            generation: row.try_get("generation")?,
            scopes: Scopes::from_stored(&row.try_get::<String, _>("scopes")?),
            revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
            expires_at: row.try_get("expires_at")?,
        };
        Ok(Some((Widget::from_row(&row)?, record)))
    }

    /// Writes a widget's settings back (the caller has checked them). Matching on
    /// the tenant too means no caller can ever change another tenant's widget.
    pub async fn update_widget(&self, widget: &Widget) -> Result<bool, sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        let updated = sqlx::query(
            "UPDATE widgets SET title = $1, greeting = $2, locale = $3, primary_color = $4, \
             position = $5, allowed_origins = $6, enabled = $7, daily_message_budget = $8, \
             starter_prompts = $9, avatar_url = $10, messages_per_visitor_per_minute = $11, \
             primary_text_color = $12, show_tool_events = $15, launcher_icon = $16, \
             conversation_days = $17, engagement = $18 \
             WHERE id = $13 AND tenant_id = $14 AND deleted_at IS NULL",
        )
        .bind(&widget.title)
        .bind(&widget.greeting)
        .bind(&widget.locale)
        .bind(&widget.primary_color)
        .bind(&widget.position)
        .bind(widget.allowed_origins.to_stored())
        .bind(i64::from(widget.enabled))
        .bind(widget.daily_message_budget)
        .bind(prompts_json(&widget.starter_prompts))
        .bind(widget.avatar_url.as_deref())
        .bind(widget.messages_per_visitor_per_minute)
        .bind(&widget.primary_text_color)
        .bind(&widget.id)
        .bind(&widget.tenant_id)
        .bind(i64::from(widget.show_tool_events))
        .bind(widget.launcher_icon.as_str())
        .bind(i64::from(widget.conversation_days))
        .bind(engagement_json(&widget.engagement))
        .execute(&mut *writer)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    /// The widgets of `scope`, oldest first.
    pub async fn widgets(&self, scope: &TenantScope) -> Result<Vec<Widget>, sqlx::Error> {
        let sql = format!(
            "SELECT {WIDGET_COLUMNS} FROM widgets WHERE ($1 = 1 OR tenant_id = $2) \
             AND deleted_at IS NULL ORDER BY created_at, id"
        );
        let rows = scope
            .bind(sqlx::query(sqlx::AssertSqlSafe(sql)))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(Widget::from_row).collect()
    }

    /// One widget, only if `scope` reaches it: another tenant's widget is
    /// indistinguishable from one that does not exist.
    pub async fn widget_in(
        &self,
        scope: &TenantScope,
        widget_id: &str,
    ) -> Result<Option<Widget>, sqlx::Error> {
        let sql = format!(
            "SELECT {WIDGET_COLUMNS} FROM widgets WHERE id = $1 AND ($2 = 1 OR tenant_id = $3) \
             AND deleted_at IS NULL"
        );
        let query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(widget_id);
        let row = scope.bind(query).fetch_optional(&self.pool).await?;
        row.as_ref().map(Widget::from_row).transpose()
    }

    /// Deletes a widget: it leaves every list and route, and its publishable keys
    /// are revoked, which ends their sessions. The rows stay, so the key audit
    /// trail stays whole. False when the tenant has no such widget.
    pub async fn delete_widget(
        &self,
        tenant_id: &str,
        widget_id: &str,
        actor: &str,
    ) -> Result<bool, sqlx::Error> {
        let now = now_unix();
        let mut writer = self.writer.connection().await?;
        let mut tx = writer.begin().await?;
        let deleted = sqlx::query(
            "UPDATE widgets SET deleted_at = $1, enabled = 0 \
             WHERE id = $2 AND tenant_id = $3 AND deleted_at IS NULL",
        )
        .bind(now)
        .bind(widget_id)
        .bind(tenant_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if deleted {
            let keys: Vec<String> = sqlx::query_scalar(
                "UPDATE api_keys SET revoked_at = $1, generation = generation + 1 \
                 WHERE widget_id = $2 AND revoked_at IS NULL RETURNING id",
            )
            .bind(now)
            .bind(widget_id)
            .fetch_all(&mut *tx)
            .await?;
            for key_id in keys {
                record_key_event(&mut tx, &key_id, tenant_id, "revoked", actor, now).await?;
            }
        }
        tx.commit().await?;
        Ok(deleted)
    }

    /// The publishable key of a widget, for snippets (publishable keys are public
    /// by design; no other kind is ever stored in full).
    pub async fn publishable_key_of(&self, widget_id: &str) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar(
            // A key in its rotation grace period has an expiry; its replacement has none.
            "SELECT publishable_value FROM api_keys WHERE widget_id = $1 AND kind = 'pub' \
             AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2) \
             ORDER BY CASE WHEN expires_at IS NULL THEN 0 ELSE 1 END, created_at DESC LIMIT 1",
        )
        .bind(widget_id)
        .bind(now_unix())
        .fetch_optional(&self.pool)
        .await
    }

    /// Whether a widget's publishable key is a test-mode one, which decides the
    /// origins it may allow (`http://localhost:*`). A widget whose key was
    /// revoked counts as live: the stricter rules.
    pub async fn widget_is_test_mode(&self, widget_id: &str) -> Result<bool, sqlx::Error> {
        Ok(self
            .publishable_key_of(widget_id)
            .await?
            .and_then(|key| ParsedKey::parse(&key).ok())
            .is_some_and(|key| key.mode == KeyMode::Test))
    }

    /// A widget and the agent it runs now, for a chat run: its own agent, or
    /// the version its subscription resolves to at this moment, in the same
    /// query.
    pub async fn widget_with_agent(
        &self,
        widget_id: &str,
    ) -> Result<Option<(Widget, Agent)>, sqlx::Error> {
        let sql = format!(
            "SELECT {WIDGET_COLUMNS}, {AGENT_COLUMNS} FROM widgets \
             JOIN agents ON agents.id = {RESOLVED_AGENT_ID} \
             WHERE widgets.id = $1 AND widgets.deleted_at IS NULL"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(widget_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok((Widget::from_row(&row)?, Agent::from_row(&row, self)?)))
            .transpose()
    }
}
