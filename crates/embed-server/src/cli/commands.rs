//! The admin subcommands: each turns its arguments into an SDK request, runs it
//! on an [`AdminBackend`] (local database or remote server) and prints the
//! answer, as text or with `--json` as the admin API's JSON. Also the commands
//! that exist only on the local database (`secrets`, `usage by-agent`).

use anyhow::{Result, bail, ensure};
use serde::Serialize;
use serde_json::json;
use sitekit_embed_server::agents::RuntimeKind;
use sitekit_embed_server::db::Db;
use sitekit_embed_server::master_key::MasterKey;
use sitekit_embed_server::usage::export::{counter_fields, errors_text};
use sitekit_embed_server::usage::report::UsageRange;
use sitekit_embed_server::widgets::settings::position_text;
use sitekit_sdk::admin::{
    AgentList, AgentSummary, AgentTimeouts, AgentUpdate, CreatedKey, KeyEventList, KeyList,
    NewAgentRequest, NewWidgetRequest, RotateKeyRequest, UsageQuery, WidgetList, WidgetSummary,
    WidgetUpdate,
};

use crate::cli::args::{
    AdminCommand, AgentCommand, KeyCommand, MasterKeyArgs, RotationGrace, SecretCommand, UsageArgs,
    UsageByAgentArgs, WidgetCommand,
};
use crate::cli::backend::AdminBackend;
use crate::cli::master_key_source;
use crate::cli::{catalog, seller, subscriptions};

pub async fn run(backend: &impl AdminBackend, command: AdminCommand) -> Result<()> {
    match command {
        AdminCommand::Agents(command) => agents(backend, command).await,
        AdminCommand::Catalog(command) => catalog::run(backend, command).await,
        AdminCommand::Subscriptions(command) => subscriptions::run(backend, command).await,
        AdminCommand::Seller(command) => seller::run(backend, command).await,
        AdminCommand::Widgets(command) => widgets(backend, command).await,
        AdminCommand::Keys(command) => keys(backend, command).await,
        AdminCommand::Usage(args) => usage(backend, args).await,
    }
}

/// Prints `value` as JSON, or as text a person reads.
pub(super) fn print<T: Serialize>(json: bool, value: &T, text: impl FnOnce(&T)) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string(value)?);
    } else {
        text(value);
    }
    Ok(())
}

async fn agents(backend: &impl AdminBackend, command: AgentCommand) -> Result<()> {
    match command {
        AgentCommand::Create {
            tenant,
            name,
            runtime,
            base_url,
            flow_id,
            model,
            system_prompt,
            timeouts,
            runtime_key,
            json,
        } => {
            let request = NewAgentRequest {
                name,
                runtime: Some(runtime.as_str().to_owned()),
                base_url,
                flow_id,
                model,
                system_prompt,
                timeouts: timeouts.over(AgentTimeouts::default()),
                runtime_key,
            };
            let agent = backend.create_agent(tenant.as_deref(), request).await?;
            print(json, &agent, |agent| {
                println!(
                    "created agent {} ({}, {})",
                    agent.id,
                    agent.name,
                    what_runs(agent)
                );
            })
        }
        AgentCommand::List { tenant, json } => {
            let agents = AgentList {
                agents: backend.agents(tenant.as_deref()).await?,
            };
            print(json, &agents, |list| {
                for agent in &list.agents {
                    println!(
                        "{}  {}  {}  {}",
                        agent.id,
                        agent.name,
                        what_runs(agent),
                        agent.base_url
                    );
                }
            })
        }
        AgentCommand::Show { id, json } => print(json, &backend.agent(&id).await?, print_agent),
        AgentCommand::Update {
            id,
            name,
            base_url,
            flow_id,
            model,
            system_prompt,
            timeouts,
            runtime_key,
            json,
        } => {
            // Timeouts go as a whole set: the ones not given keep their values.
            let timeouts = match timeouts.over(AgentTimeouts::default()) {
                Some(_) => timeouts.over(backend.agent(&id).await?.timeouts),
                None => None,
            };
            let update = AgentUpdate {
                name,
                base_url,
                flow_id,
                model,
                system_prompt,
                timeouts,
                runtime_key,
            };
            ensure!(
                update != AgentUpdate::default(),
                "nothing to change: name at least one setting (see `sitekit agents update --help`)"
            );
            print(json, &backend.update_agent(&id, update).await?, print_agent)
        }
        AgentCommand::Delete { id, json } => {
            backend.delete_agent(&id).await?;
            print(json, &json!({ "id": id, "deleted": true }), |_| {
                println!("deleted agent {id}");
            })
        }
    }
}

fn print_agent(agent: &AgentSummary) {
    println!("agent {}", agent.id);
    println!("  name:     {}", agent.name);
    println!("  runtime:  {}", agent.runtime);
    println!("  base URL: {}", agent.base_url);
    println!("  flow:     {}", or_none(agent.flow_id.clone()));
    println!("  model:    {}", or_none(agent.model.clone()));
    println!("  system prompt: {}", or_none(agent.system_prompt.clone()));
    let limits = agent.timeouts;
    println!(
        "  timeouts: connect {} ms, first event {} ms, idle {} ms, total {} ms",
        limits.connect_ms, limits.first_event_ms, limits.idle_ms, limits.total_ms
    );
}

async fn widgets(backend: &impl AdminBackend, command: WidgetCommand) -> Result<()> {
    match command {
        WidgetCommand::Create {
            agent,
            subscription,
            origins,
            title,
            greeting,
            locale,
            color,
            text_color,
            position,
            daily_messages,
            starter_prompts,
            avatar_url,
            messages_per_visitor_per_minute,
            show_tool_events,
            launcher_icon,
            conversation_days,
            engagement,
            test_mode,
            public_url,
            json,
        } => {
            let request = NewWidgetRequest {
                agent_id: agent,
                subscription_id: subscription,
                allowed_origins: origins,
                title: Some(title),
                greeting: Some(greeting),
                locale: Some(locale),
                primary_color: Some(color),
                primary_text_color: Some(text_color),
                position: Some(position.into()),
                daily_message_budget: Some(daily_messages),
                starter_prompts,
                avatar_url,
                messages_per_visitor_per_minute,
                show_tool_events,
                launcher_icon: Some(launcher_icon.into()),
                conversation_days: Some(conversation_days),
                engagement,
                test_mode,
            };
            let created = backend.create_widget(request, &public_url).await?;
            print(json, &created, |created| {
                println!(
                    "created widget {} for {}",
                    created.widget.id,
                    what_widget_runs(&created.widget)
                );
                println!("publishable key: {}", created.publishable_key);
                println!("paste this into your pages:\n\n{}\n", created.snippet);
            })
        }
        WidgetCommand::List { tenant, json } => {
            let widgets = WidgetList {
                widgets: backend.widgets(tenant.as_deref()).await?,
            };
            print(json, &widgets, |list| {
                for widget in &list.widgets {
                    println!(
                        "{}  {}  {}  {}  {}",
                        widget.id,
                        widget.title,
                        what_widget_runs(widget),
                        enabled_text(widget.enabled),
                        widget.allowed_origins.join(", ")
                    );
                }
            })
        }
        WidgetCommand::Show { id, json } => print(json, &backend.widget(&id).await?, print_widget),
        WidgetCommand::Update {
            id,
            title,
            greeting,
            locale,
            color,
            text_color,
            position,
            origins,
            enable,
            disable,
            daily_messages,
            starter_prompts,
            no_starter_prompts,
            avatar_url,
            messages_per_visitor_per_minute,
            show_tool_events,
            launcher_icon,
            engagement,
            conversation_days,
            json,
        } => {
            let update = WidgetUpdate {
                title,
                greeting,
                locale,
                primary_color: color,
                primary_text_color: text_color,
                position: position.map(Into::into),
                allowed_origins: (!origins.is_empty()).then_some(origins),
                enabled: (enable || disable).then_some(enable),
                daily_message_budget: daily_messages,
                starter_prompts: (no_starter_prompts || !starter_prompts.is_empty())
                    .then_some(starter_prompts),
                avatar_url,
                messages_per_visitor_per_minute,
                show_tool_events,
                launcher_icon: launcher_icon.map(Into::into),
                conversation_days,
                engagement,
            };
            ensure!(
                update != WidgetUpdate::default(),
                "nothing to change: name at least one setting (see `sitekit widgets update --help`)"
            );
            print(
                json,
                &backend.update_widget(&id, update).await?,
                print_widget,
            )
        }
        WidgetCommand::Delete { id, json } => {
            backend.delete_widget(&id).await?;
            print(json, &json!({ "id": id, "deleted": true }), |_| {
                println!(
                    "deleted widget {id}; its publishable key is revoked and its sessions end within seconds"
                );
            })
        }
        WidgetCommand::Snippet {
            id,
            public_url,
            assets_dir,
            json,
        } => {
            let snippets = backend
                .widget_snippet(&id, &public_url, assets_dir.as_deref())
                .await?;
            print(json, &snippets, |snippets| {
                println!(
                    "auto-updating (always the current loader):\n{}",
                    snippets.auto_updating
                );
                println!(
                    "pinned (this exact loader, checked by the browser; re-issue after upgrading the server):\n{}",
                    snippets.pinned
                );
            })
        }
    }
}

fn enabled_text(enabled: bool) -> &'static str {
    if enabled { "enabled" } else { "disabled" }
}

/// The runtime and what it runs there: `langflow flow <id>`, `openai model <m>`.
pub(super) fn what_runs(agent: &AgentSummary) -> String {
    match RuntimeKind::parse(&agent.runtime) {
        Some(RuntimeKind::Langflow) => format!("langflow flow {}", agent.flow_id),
        Some(RuntimeKind::Openai) => format!("openai model {}", agent.model),
        Some(RuntimeKind::Agui) | None => agent.runtime.clone(),
    }
}

/// A setting that may be empty, printed so the emptiness shows.
pub(super) fn or_none(text: String) -> String {
    if text.is_empty() { "-".into() } else { text }
}

/// `agent agt_…` or `subscription sub_…`.
fn what_widget_runs(widget: &WidgetSummary) -> String {
    match (&widget.agent_id, &widget.subscription_id) {
        (_, Some(subscription)) => format!("subscription {subscription}"),
        (Some(agent), None) => format!("agent {agent}"),
        (None, None) => "nothing".into(),
    }
}

fn print_widget(widget: &WidgetSummary) {
    println!("widget {} ({})", widget.id, enabled_text(widget.enabled));
    println!("  runs:            {}", what_widget_runs(widget));
    println!("  origins:         {}", widget.allowed_origins.join(", "));
    println!("  title:           {}", widget.title);
    println!("  greeting:        {}", widget.greeting);
    println!("  locale:          {}", widget.locale);
    println!(
        "  colours:         {} (text {})",
        widget.primary_color, widget.primary_text_color
    );
    println!("  position:        {}", position_text(widget.position));
    println!("  launcher icon:   {}", widget.launcher_icon.as_str());
    println!(
        "  starter prompts: {}",
        or_none(widget.starter_prompts.join(" | "))
    );
    println!(
        "  avatar:          {}",
        or_none(widget.avatar_url.clone().unwrap_or_default())
    );
    println!(
        "  daily messages:  {} (0: no budget)",
        widget.daily_message_budget
    );
    println!(
        "  per visitor:     {} a minute (0: the server's default)",
        widget.messages_per_visitor_per_minute
    );
    println!(
        "  conversations:   {}",
        match widget.conversation_days {
            0 => "a new one on every page load".to_owned(),
            days => format!("kept {days} days without activity"),
        }
    );
    println!(
        "  tool calls:      {}",
        if widget.show_tool_events {
            "shown"
        } else {
            "hidden"
        }
    );
}

async fn keys(backend: &impl AdminBackend, command: KeyCommand) -> Result<()> {
    match command {
        KeyCommand::Create { tenant, key, json } => {
            let created = backend.create_key(tenant.as_deref(), key.into()).await?;
            print(json, &created, print_created_key)
        }
        KeyCommand::List {
            tenant,
            widget,
            json,
        } => {
            let keys = KeyList {
                keys: backend.keys(tenant.as_deref(), widget.as_deref()).await?,
            };
            print(json, &keys, print_keys)
        }
        KeyCommand::Rotate {
            id,
            grace: RotationGrace { grace_secs },
            json,
        } => {
            let request = RotateKeyRequest {
                grace_seconds: Some(grace_secs),
            };
            let rotated = backend.rotate_key(&id, request).await?;
            print(json, &rotated, |rotated| {
                print_rotated_key(rotated, &id, grace_secs);
            })
        }
        KeyCommand::Revoke { id, json } => {
            backend.revoke_key(&id).await?;
            print(json, &json!({ "id": id, "revoked": true }), |_| {
                println!("revoked key {id}; its sessions end within seconds");
            })
        }
        KeyCommand::Events { id, json } => {
            print(json, &backend.key_events(&id).await?, print_key_events)
        }
    }
}

/// A new key, the only time it is shown.
pub(super) fn print_created_key(created: &CreatedKey) {
    println!(
        "created key {} with scopes: {}",
        created.id,
        created.scopes.join(" ")
    );
    println!("{}", created.key);
    println!("store it now: it is shown only this once");
}

/// A key's replacement, the only time it is shown.
pub(super) fn print_rotated_key(rotated: &CreatedKey, replaced: &str, grace_secs: u32) {
    println!(
        "created key {}, replacing {replaced} (which works {grace_secs} s more)",
        rotated.id
    );
    println!("{}", rotated.key);
    println!("store it now: it is shown only this once");
}

pub(super) fn print_key_events(list: &KeyEventList) {
    for event in &list.events {
        println!("{}  {}  by {}", event.at, event.event, event.actor);
    }
}

pub(super) fn print_keys(list: &KeyList) {
    for key in &list.keys {
        let state = if key.revoked { "revoked" } else { "active" };
        let widget = key.widget_id.as_deref().unwrap_or("-");
        // The name last: it is the one field of free text.
        let name = key
            .name
            .as_deref()
            .map(|name| format!("  {name}"))
            .unwrap_or_default();
        println!(
            "{}  {}  {}  widget {widget}  {state}{name}",
            key.id, key.display, key.kind
        );
    }
}

async fn usage(backend: &impl AdminBackend, args: UsageArgs) -> Result<()> {
    if args.view.is_some() {
        // main.rs runs the views on the local database before getting here.
        bail!("`sitekit usage by-agent` works only on the local database");
    }
    let args = args.report;
    let query = UsageQuery {
        from: args.from,
        to: args.to,
        agent_id: args.agent,
        widget_id: args.widget,
        key_id: args.key_id,
        granularity: args.granularity.map(Into::into),
    };
    let report = backend.usage(args.tenant.as_deref(), query).await?;
    print(args.json, &report, |report| {
        let totals = &report.totals;
        println!(
            "{} messages from {} to {} ({} conversations, {} runs, {} errors, {} tokens)",
            report.total_messages,
            report.from,
            report.to,
            totals.conversations,
            totals.runs,
            totals.error_runs(),
            totals.input_tokens + totals.output_tokens
        );
        if report.days.is_empty() {
            return;
        }
        let rows = report
            .days
            .iter()
            .map(|day| {
                let mut row = vec![
                    day.date.clone(),
                    day.agent_id.clone(),
                    day.widget_id.clone(),
                    day.key_id.clone(),
                ];
                row.extend(counter_fields(&day.counts, "0"));
                row
            })
            .collect();
        let mut header = vec!["date", "agent", "widget", "key"];
        header.extend(COUNTER_HEADER);
        print_table(&header, rows);
    })
}

/// `sitekit usage by-agent`: every agent's usage across all tenants, on the
/// local database (the operator's view; no admin key sees other tenants).
pub async fn usage_by_agent(db: &Db, args: UsageByAgentArgs) -> Result<()> {
    let range = UsageRange::parse(args.from.as_deref(), args.to.as_deref())?;
    let report = range.by_agent(db.usage_by_agent(range.from, range.to).await?);
    print(args.json, &report, |report| {
        println!(
            "{} agents from {} to {}",
            report.agents.len(),
            report.from,
            report.to
        );
        if report.agents.is_empty() {
            return;
        }
        let rows = report
            .agents
            .iter()
            .map(|agent| {
                let counts = &agent.counts;
                let name = if agent.deleted {
                    format!("{} (deleted)", agent.agent_name)
                } else {
                    agent.agent_name.clone()
                };
                vec![
                    agent.agent_id.clone(),
                    name,
                    agent.tenant_id.clone(),
                    agent.tenant_name.clone(),
                    counts.runs.to_string(),
                    counts.conversations.to_string(),
                    counts.messages.to_string(),
                    counts.input_tokens.to_string(),
                    counts.output_tokens.to_string(),
                    errors_text(counts, "0"),
                ]
            })
            .collect();
        print_table(
            &[
                "agent",
                "name",
                "tenant",
                "tenant name",
                "runs",
                "conversations",
                "messages",
                "tokens in",
                "tokens out",
                "errors",
            ],
            rows,
        );
    })
}

const COUNTER_HEADER: [&str; 12] = [
    "conversations",
    "runs",
    "messages",
    "chars in",
    "chars out",
    "tokens in",
    "tokens out",
    "errors",
    "feedback up",
    "feedback down",
    "loads",
    "opens",
];

/// Columns padded to their widest cell, two spaces apart.
fn print_table(header: &[&str], rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = header.iter().map(|name| name.chars().count()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
}

pub async fn secrets(
    database_url: &str,
    master_key: &MasterKeyArgs,
    command: SecretCommand,
) -> Result<()> {
    match command {
        SecretCommand::RotateSessionKey => {
            let db = master_key_source::unlocked(database_url, master_key).await?;
            db.rotate_session_signing_key().await?;
            println!(
                "rotated the session signing key; sessions signed with the old one stay valid \
                 until they expire, and running servers switch within their key refresh interval"
            );
        }
        SecretCommand::RotateMasterKey { new_key_file } => {
            // Not `unlocked`: after a run that was cut short, some secrets are
            // sealed under the new key already, which that check refuses.
            let db = Db::open(database_url).await?;
            let current = master_key_source::given(master_key)?;
            let new = if new_key_file.exists() {
                MasterKey::read_file(&new_key_file)?
            } else {
                let key = MasterKey::create_file(&new_key_file)?;
                println!(
                    "created a new master key in {} (mode 0600)",
                    new_key_file.display()
                );
                key
            };
            let path = new_key_file.display();
            println!(
                "re-encrypting every stored secret under the key in {path} (key {}), in one transaction",
                new.id()
            );
            let done = db.rotate_master_key(current.as_ref(), &new).await?;
            println!(
                "re-encrypted {} secrets under key {} ({} already were)",
                done.resealed,
                new.id(),
                done.already
            );
            println!(
                "next: restart every node with --master-key-file {path} (SITEKIT_MASTER_KEY_FILE), \
                 or its contents as SITEKIT_MASTER_KEY; until then they cannot open the runtime \
                 keys. Then destroy the old key."
            );
        }
    }
    Ok(())
}

/// Refuses `--server` for a command that only works on this machine.
pub fn local_only(server: Option<&str>, command: &str) -> Result<()> {
    if let Some(server) = server {
        bail!(
            "`sitekit {command}` works only on the local database and has no --server form \
             (--server {server} was given, perhaps through SITEKIT_SERVER)"
        );
    }
    Ok(())
}
