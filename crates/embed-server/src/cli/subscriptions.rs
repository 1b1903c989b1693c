//! `sitekit subscriptions`: a buyer's subscriptions to published agents and
//! the version each runs, on the local database or a server.

use anyhow::Result;
use sitekit_sdk::catalog::PublishedAgentStatus;
use sitekit_sdk::subscriptions::{
    NewSubscription, Subscription, SubscriptionList, SubscriptionUpdate,
};

use crate::cli::args::SubscriptionCommand;
use crate::cli::backend::AdminBackend;
use crate::cli::commands::print;

pub async fn run(backend: &impl AdminBackend, command: SubscriptionCommand) -> Result<()> {
    match command {
        SubscriptionCommand::List { tenant, json } => {
            let list = SubscriptionList {
                subscriptions: backend.subscriptions(tenant.as_deref()).await?,
            };
            print(json, &list, |list| {
                for subscription in &list.subscriptions {
                    println!(
                        "{}  {} by {}  version {} ({}){}",
                        subscription.id,
                        subscription.agent_name,
                        subscription.seller_name,
                        subscription.version,
                        subscription.version_policy,
                        status_note(subscription)
                    );
                }
            })
        }
        SubscriptionCommand::Show { id, json } => {
            print(json, &backend.subscription(&id).await?, print_subscription)
        }
        SubscriptionCommand::Create {
            tenant,
            published_agent,
            version,
            json,
        } => {
            let request = NewSubscription {
                published_agent_id: published_agent,
                version,
            };
            let subscription = backend.subscribe(tenant.as_deref(), request).await?;
            print(json, &subscription, |subscription| {
                println!(
                    "created subscription {} to {}; put it on a site with `sitekit widgets \
                     create --subscription {} --origin …`",
                    subscription.id, subscription.agent_name, subscription.id
                );
                print_subscription(subscription);
            })
        }
        SubscriptionCommand::SetVersion { id, version, json } => {
            let update = SubscriptionUpdate { version };
            let subscription = backend.update_subscription(&id, update).await?;
            print(json, &subscription, print_subscription)
        }
    }
}

fn status_note(subscription: &Subscription) -> &'static str {
    match subscription.status {
        PublishedAgentStatus::Active => "",
        PublishedAgentStatus::Deprecated => "  deprecated by its seller",
        PublishedAgentStatus::Withdrawn => "  withdrawn by its seller",
    }
}

fn print_subscription(subscription: &Subscription) {
    println!("subscription {}", subscription.id);
    println!(
        "  agent:    {} ({}) by {}{}",
        subscription.agent_name,
        subscription.published_agent_id,
        subscription.seller_name,
        status_note(subscription)
    );
    println!(
        "  runs:     version {}, {}",
        subscription.version, subscription.version_policy
    );
}
