//! `sitekit catalog`: browse the published agents and, as a seller, publish
//! them and their versions, on the local database or a server.

use anyhow::Result;
use sitekit_sdk::admin::AgentTimeouts;
use sitekit_sdk::catalog::{
    AgentVersion, BuyerSettings, NewAgentVersion, NewPublishedAgent, PublishedAgent,
    PublishedAgentList, PublishedAgentStatus, PublishedAgentUpdate,
};

use crate::cli::args::CatalogCommand;
use crate::cli::backend::AdminBackend;
use crate::cli::commands::{or_none, print, what_runs};

pub async fn run(backend: &impl AdminBackend, command: CatalogCommand) -> Result<()> {
    match command {
        CatalogCommand::List { json } => {
            let list = PublishedAgentList {
                agents: backend.catalog().await?,
            };
            print(json, &list, |list| {
                for agent in &list.agents {
                    println!(
                        "{}  {}  {}  by {}  {}",
                        agent.id,
                        agent.name,
                        agent.status.as_str(),
                        agent.seller_name,
                        latest_text(agent)
                    );
                }
            })
        }
        CatalogCommand::Show { id, json } => {
            print(json, &backend.published_agent(&id).await?, print_entry)
        }
        CatalogCommand::Create {
            tenant,
            name,
            description,
            icon_url,
            json,
        } => {
            let request = NewPublishedAgent {
                name,
                description,
                icon_url,
            };
            let agent = backend
                .create_published_agent(tenant.as_deref(), request)
                .await?;
            print(json, &agent, |agent| {
                println!(
                    "created published agent {} ({}); publish its first version with \
                     `sitekit catalog publish {}`",
                    agent.id, agent.name, agent.id
                );
            })
        }
        CatalogCommand::Update {
            id,
            name,
            description,
            icon_url,
            json,
        } => {
            let update = PublishedAgentUpdate {
                name,
                description,
                icon_url,
                ..PublishedAgentUpdate::default()
            };
            let agent = backend.update_published_agent(&id, update).await?;
            print(json, &agent, print_entry)
        }
        CatalogCommand::Deprecate { id, json } => {
            set_status(backend, &id, PublishedAgentStatus::Deprecated, json).await
        }
        CatalogCommand::Withdraw { id, json } => {
            set_status(backend, &id, PublishedAgentStatus::Withdrawn, json).await
        }
        CatalogCommand::Restore { id, json } => {
            set_status(backend, &id, PublishedAgentStatus::Active, json).await
        }
        CatalogCommand::Publish {
            id,
            runtime,
            base_url,
            flow_id,
            model,
            system_prompt,
            timeouts,
            runtime_key,
            release_notes,
            buyer_prompt_addendum,
            canary_percent,
            json,
        } => {
            // Timeouts go as a whole set: the ones not given keep the latest
            // version's values.
            let timeouts = match timeouts.over(AgentTimeouts::default()) {
                Some(_) => {
                    let latest = backend.published_agent(&id).await?;
                    let base = latest
                        .versions
                        .last()
                        .and_then(|version| version.binding.as_ref())
                        .map(|binding| binding.timeouts)
                        .unwrap_or_default();
                    timeouts.over(base)
                }
                None => None,
            };
            let request = NewAgentVersion {
                runtime: runtime.map(|kind| kind.as_str().to_owned()),
                base_url,
                flow_id,
                model,
                system_prompt,
                timeouts,
                runtime_key,
                release_notes,
                buyer_settings: BuyerSettings {
                    prompt_addendum: buyer_prompt_addendum,
                },
                canary_percent,
            };
            let version = backend.publish_version(&id, request).await?;
            print(json, &version, |version| {
                match canary_percent {
                    Some(percent) => println!(
                        "published version {} of {id} as a canary to {percent} % of the \
                         subscriptions that follow the latest",
                        version.version
                    ),
                    None => println!("published and released version {} of {id}", version.version),
                }
                print_version(version);
            })
        }
        CatalogCommand::Release { id, version, json } => {
            let update = PublishedAgentUpdate {
                released_version: Some(version),
                ..PublishedAgentUpdate::default()
            };
            let agent = backend.update_published_agent(&id, update).await?;
            print(json, &agent, |agent| println!("{}", rollout_text(agent)))
        }
        CatalogCommand::Canary { id, percent, json } => {
            let update = PublishedAgentUpdate {
                canary_percent: Some(percent),
                ..PublishedAgentUpdate::default()
            };
            let agent = backend.update_published_agent(&id, update).await?;
            print(json, &agent, |agent| println!("{}", rollout_text(agent)))
        }
    }
}

/// Which version the subscriptions that follow the latest run.
fn rollout_text(agent: &PublishedAgent) -> String {
    let released = match agent.released_version {
        Some(version) => format!("{} releases version {version}", agent.id),
        None => format!("{} has no version yet", agent.id),
    };
    match agent.canary {
        Some(canary) => format!(
            "{released}; version {} is a canary to {} % of the subscriptions that follow the \
             latest",
            canary.version, canary.percent
        ),
        None => format!("{released} to every subscription that follows the latest"),
    }
}

async fn set_status(
    backend: &impl AdminBackend,
    id: &str,
    status: PublishedAgentStatus,
    json: bool,
) -> Result<()> {
    let update = PublishedAgentUpdate {
        status: Some(status),
        ..PublishedAgentUpdate::default()
    };
    let agent = backend.update_published_agent(id, update).await?;
    print(json, &agent, |agent| {
        println!("{} ({}) is {}", agent.id, agent.name, agent.status.as_str());
    })
}

fn latest_text(agent: &PublishedAgent) -> String {
    match agent.latest_version() {
        Some(version) => format!("latest version {version}"),
        None => "no version yet".into(),
    }
}

fn print_entry(agent: &PublishedAgent) {
    println!("published agent {} ({})", agent.id, agent.status.as_str());
    println!("  name:        {}", agent.name);
    println!("  seller:      {} ({})", agent.seller_name, agent.seller_id);
    println!("  description: {}", or_none(agent.description.clone()));
    println!(
        "  icon:        {}",
        or_none(agent.icon_url.clone().unwrap_or_default())
    );
    println!("  {}", latest_text(agent));
    println!("  {}", rollout_text(agent));
    for version in &agent.versions {
        print_version(version);
    }
}

fn print_version(version: &AgentVersion) {
    let addendum = if version.buyer_settings.prompt_addendum {
        "buyers may add to the system prompt"
    } else {
        "buyers may not add to the system prompt"
    };
    println!("  version {}: {addendum}", version.version);
    if let Some(binding) = &version.binding {
        println!("    runs:  {} at {}", what_runs(binding), binding.base_url);
    }
    if !version.release_notes.is_empty() {
        for line in version.release_notes.lines() {
            println!("    | {line}");
        }
    }
}
