//! Agents and widgets stored the way the CLI and the admin API store them.

use sitekit_embed_server::agents::Agent;
use sitekit_embed_server::agents::settings::AgentSettings;
use sitekit_embed_server::db::Db;
use sitekit_embed_server::keys::{KeyMode, ParsedKey};
use sitekit_embed_server::widgets::settings::WidgetSettings;
use sitekit_embed_server::widgets::{Marketplace, Widget, WidgetRuns};
use sitekit_sdk::admin::{NewAgentRequest, NewWidgetRequest};

use super::runtime::local_runtimes;

/// An agent stored the way the CLI and the admin API store one.
pub async fn create_agent(
    db: &Db,
    tenant_id: &str,
    base_url: &str,
    flow_id: &str,
    runtime_key: &str,
) -> Agent {
    let request = NewAgentRequest {
        name: "Agent".into(),
        runtime: None,
        base_url: base_url.into(),
        flow_id: flow_id.into(),
        model: None,
        system_prompt: None,
        timeouts: None,
        runtime_key: runtime_key.into(),
    };
    let settings =
        AgentSettings::from_request(&request, &local_runtimes()).unwrap_or_else(|e| panic!("{e}"));
    db.create_agent(tenant_id, settings).await.unwrap()
}

/// A widget request with the defaults for everything but agent and origins.
pub fn widget_request(agent_id: &str, origins: &[&str]) -> NewWidgetRequest {
    NewWidgetRequest {
        agent_id: Some(agent_id.into()),
        subscription_id: None,
        allowed_origins: origins.iter().map(|o| o.to_string()).collect(),
        title: None,
        greeting: None,
        locale: None,
        primary_color: None,
        primary_text_color: None,
        position: None,
        daily_message_budget: None,
        starter_prompts: Vec::new(),
        avatar_url: None,
        messages_per_visitor_per_minute: 0,
        show_tool_events: false,
        launcher_icon: None,
        conversation_days: None,
        engagement: None,
        test_mode: false,
    }
}

/// A widget stored the way the CLI and the admin API store one.
pub async fn create_widget(
    db: &Db,
    agent: &Agent,
    request: &NewWidgetRequest,
) -> (Widget, ParsedKey) {
    let mode = if request.test_mode {
        KeyMode::Test
    } else {
        KeyMode::Live
    };
    create_widget_with_mode(db, agent, request, mode).await
}

/// A widget whose key mode may differ from what its settings were checked for.
pub(super) async fn create_widget_with_mode(
    db: &Db,
    agent: &Agent,
    request: &NewWidgetRequest,
    mode: KeyMode,
) -> (Widget, ParsedKey) {
    let settings = WidgetSettings::from_request(request).unwrap_or_else(|e| panic!("{e}"));
    let runs = WidgetRuns {
        tenant_id: agent.tenant_id.clone(),
        agent_id: agent.id.clone(),
        subscription_id: None,
    };
    db.provision_widget(runs, settings, mode, "test", Marketplace::default())
        .await
        .unwrap()
        .expect("a widget without an external id is always made")
}

/// Flips the stored flag directly: the server must refuse a disabled widget
/// however it came to be disabled.
pub(super) async fn sqlx_disable_widget(db_url: &str, key: &str) {
    let key = ParsedKey::parse(key).unwrap();
    let pool = sqlx::AnyPool::connect(db_url).await.unwrap();
    sqlx::query("UPDATE widgets SET enabled = 0 WHERE id = (SELECT widget_id FROM api_keys WHERE secret_hash = $1)")
        .bind(key.hash())
        .execute(&pool)
        .await
        .unwrap();
}
