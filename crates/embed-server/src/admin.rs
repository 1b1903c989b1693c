//! The admin subcommands, working on the local database.

use anyhow::{Context, Result, ensure};
use serde_json::json;
use sitekit_embed_server::agent_settings::AgentSettings;
use sitekit_embed_server::assets::AssetStore;
use sitekit_embed_server::db::{Db, NewAdminKey, now_unix};
use sitekit_embed_server::keys::{KeyKind, KeyMode};
use sitekit_embed_server::scopes;
use sitekit_embed_server::snippet;
use sitekit_embed_server::widget_settings::WidgetSettings;
use sitekit_sdk::admin::{NewAgentRequest, NewWidgetRequest};

use crate::cli::{
    AdminKeyKind, AgentCommand, KeyCommand, SecretCommand, TenantCommand, WidgetCommand,
};

/// How the audit trail names changes made with this command line.
const CLI_ACTOR: &str = "cli";

pub async fn tenants(db: &Db, command: TenantCommand) -> Result<()> {
    match command {
        TenantCommand::Create { name, json } => {
            ensure!(!name.trim().is_empty(), "--name must not be empty");
            let tenant = db.create_tenant(name.trim()).await?;
            if json {
                println!("{}", json!({ "id": tenant.id, "name": tenant.name }));
            } else {
                println!("created tenant {} ({})", tenant.id, tenant.name);
            }
        }
    }
    Ok(())
}

pub async fn agents(db: &Db, command: AgentCommand) -> Result<()> {
    match command {
        AgentCommand::Create {
            tenant,
            name,
            runtime,
            base_url,
            flow_id,
            runtime_key,
            json,
        } => {
            ensure!(
                db.tenant_exists(&tenant).await?,
                "no tenant with id {tenant}"
            );
            let request = NewAgentRequest {
                name,
                runtime: Some(runtime.as_str().to_owned()),
                base_url,
                flow_id,
                runtime_key,
            };
            let settings = AgentSettings::from_request(&request).map_err(anyhow::Error::msg)?;
            let agent = db.create_agent(&tenant, settings).await?;
            if json {
                println!(
                    "{}",
                    json!({ "id": agent.id, "name": agent.name, "runtime": agent.runtime })
                );
            } else {
                println!(
                    "created agent {} ({}, {} flow {})",
                    agent.id, agent.name, agent.runtime, agent.flow_id
                );
            }
        }
    }
    Ok(())
}

pub async fn widgets(db: &Db, command: WidgetCommand) -> Result<()> {
    match command {
        WidgetCommand::Create {
            agent,
            origins,
            title,
            greeting,
            locale,
            color,
            position,
            daily_messages,
            starter_prompts,
            avatar_url,
            messages_per_visitor_per_minute,
            test_mode,
            public_url,
            json,
        } => {
            let agent = db
                .agent(&agent)
                .await?
                .with_context(|| format!("no agent with id {agent}"))?;
            let request = NewWidgetRequest {
                agent_id: agent.id.clone(),
                allowed_origins: origins,
                title: Some(title),
                greeting: Some(greeting),
                locale: Some(locale),
                primary_color: Some(color),
                position: Some(position.into()),
                daily_message_budget: daily_messages,
                starter_prompts,
                avatar_url,
                messages_per_visitor_per_minute,
                test_mode,
            };
            let settings = WidgetSettings::from_request(&request).map_err(anyhow::Error::msg)?;
            let mode = if test_mode {
                KeyMode::Test
            } else {
                KeyMode::Live
            };
            let (widget, key) = db.create_widget(&agent, settings, mode, CLI_ACTOR).await?;
            let snippet = snippet::auto_updating(&public_url, key.expose());
            if json {
                println!(
                    "{}",
                    json!({ "id": widget.id, "publishableKey": key.expose(), "snippet": snippet })
                );
            } else {
                println!("created widget {} for agent {}", widget.id, agent.id);
                println!("publishable key: {}", key.expose());
                println!("paste this into your pages:\n\n{snippet}\n");
            }
        }
        WidgetCommand::Snippet {
            id,
            public_url,
            assets_dir,
            json,
        } => {
            ensure!(
                db.widget_with_agent(&id).await?.is_some(),
                "no widget with id {id}"
            );
            let key = db.publishable_key_of(&id).await?.with_context(|| {
                format!(
                    "widget {id} has no snippet: its publishable key was revoked; \
                     create a new widget for the site"
                )
            })?;
            // The pinned snippet's integrity must be that of the loader the server
            // serves, so it comes from the same assets `serve` would use.
            let assets = AssetStore::locate(assets_dir.as_deref())
                .context("the pinned snippet needs the built assets the server serves")?;
            let snippets = snippet::for_widget(&id, &public_url, &key, &assets.manifest);
            if json {
                println!("{}", serde_json::to_string(&snippets)?);
            } else {
                println!(
                    "auto-updating (always the current loader):\n{}",
                    snippets.auto_updating
                );
                println!(
                    "pinned (this exact loader, checked by the browser; re-issue after upgrading the server):\n{}",
                    snippets.pinned
                );
            }
        }
    }
    Ok(())
}

pub async fn keys(db: &Db, command: KeyCommand) -> Result<()> {
    match command {
        KeyCommand::Create {
            tenant,
            kind,
            scopes: listed,
            expires_in_days,
            test_mode,
            json,
        } => {
            ensure!(
                db.tenant_exists(&tenant).await?,
                "no tenant with id {tenant}"
            );
            let kind = match kind {
                AdminKeyKind::Secret => KeyKind::Secret,
                AdminKeyKind::Restricted => KeyKind::Restricted,
            };
            let scopes = scopes::for_new_key(kind, listed.as_deref())
                .map_err(|why| anyhow::anyhow!("{why} (--scopes)"))?;
            let (id, key) = db
                .create_admin_key(NewAdminKey {
                    tenant_id: &tenant,
                    kind,
                    mode: if test_mode {
                        KeyMode::Test
                    } else {
                        KeyMode::Live
                    },
                    scopes: &scopes,
                    expires_at: expires_in_days.map(|days| now_unix() + i64::from(days) * 86_400),
                    actor: CLI_ACTOR,
                })
                .await?;
            if json {
                println!(
                    "{}",
                    json!({ "id": id, "key": key.expose(), "scopes": scopes })
                );
            } else {
                println!("created key {id} with scopes: {scopes}");
                println!("{}", key.expose());
                println!("store it now: it is shown only this once");
            }
        }
        KeyCommand::List { widget, json } => {
            let keys = db.list_keys(None, widget.as_deref()).await?;
            if json {
                let keys: Vec<_> = keys
                    .iter()
                    .map(|key| {
                        json!({
                            "id": key.id, "tenantId": key.tenant_id, "widgetId": key.widget_id,
                            "kind": key.kind, "mode": key.mode, "display": key.display,
                            "generation": key.generation, "revoked": key.revoked,
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::from(keys));
            } else {
                for key in keys {
                    let state = if key.revoked { "revoked" } else { "active" };
                    let widget = key.widget_id.as_deref().unwrap_or("-");
                    println!(
                        "{}  {}  {}  widget {widget}  {state}",
                        key.id, key.display, key.kind
                    );
                }
            }
        }
        KeyCommand::Rotate {
            id,
            grace_secs,
            json,
        } => {
            let rotated = db
                .rotate_key(None, &id, grace_secs, CLI_ACTOR)
                .await?
                .with_context(|| {
                    format!("no active key with id {id} (list them with `sitekit keys list`)")
                })?;
            let (new_id, key) = (rotated.id, rotated.key.expose());
            if json {
                println!("{}", json!({ "id": new_id, "key": key, "replaces": id }));
            } else {
                println!("created key {new_id}, replacing {id} (which works {grace_secs} s more)");
                println!("{key}");
                println!("store it now: it is shown only this once");
            }
        }
        KeyCommand::Revoke { id, json } => {
            ensure!(
                db.revoke_key(None, &id, CLI_ACTOR).await?,
                "no active key with id {id} (list them with `sitekit keys list`)"
            );
            if json {
                println!("{}", json!({ "id": id, "revoked": true }));
            } else {
                println!("revoked key {id}; its sessions end within seconds");
            }
        }
        KeyCommand::Events { id, json } => {
            let events = db.key_events(&id).await?;
            if json {
                let events: Vec<_> = events
                    .iter()
                    .map(|e| json!({ "keyId": e.key_id, "event": e.event, "actor": e.actor, "at": e.at }))
                    .collect();
                println!("{}", serde_json::Value::from(events));
            } else {
                for event in events {
                    println!("{}  {}  by {}", event.at, event.event, event.actor);
                }
            }
        }
    }
    Ok(())
}

pub async fn secrets(db: &Db, command: SecretCommand) -> Result<()> {
    match command {
        SecretCommand::RotateSessionKey => {
            db.rotate_session_signing_key().await?;
            println!(
                "rotated the session signing key; sessions signed with the old one stay valid \
                 until they expire, and running servers switch within their key refresh interval"
            );
        }
    }
    Ok(())
}
