//! `sitekit`: parses the command line and hands over to the library, or for the
//! admin commands to the local database or a remote server.

mod cli;

use anyhow::{Result, bail};
use clap::Parser;
use sitekit_embed_server::db::Db;
use sitekit_sdk::{AdminClient, OperatorClient};

use crate::cli::args::{AdminCommand, Cli, Command, UsageArgs, UsageView};
use crate::cli::commands::{self, local_only};
use crate::cli::local::LocalAdmin;
use crate::cli::tenants::{self, LocalOperator};
use crate::cli::{master_key_source, members, operator_keys, serve};

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SITEKIT_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let server = cli.remote.server.as_deref();
    match cli.command {
        Command::Serve(args) => {
            local_only(server, "serve")?;
            let db = master_key_source::unlocked(&cli.database_url, &cli.master_key).await?;
            serve::run_server(db, args, cli.runtime_allow).await
        }
        Command::Tenants(command) => match remote(cli.remote.server, cli.remote.key)? {
            Some((server, key)) => tenants::run(&OperatorClient::new(server, key), command).await,
            None => {
                let db = Db::open(&cli.database_url).await?;
                tenants::run(&LocalOperator(db), command).await
            }
        },
        Command::OperatorKeys(command) => {
            local_only(server, "operator-keys")?;
            operator_keys::run(&Db::open(&cli.database_url).await?, command).await
        }
        Command::Members(command) => {
            local_only(server, "members")?;
            members::run(&Db::open(&cli.database_url).await?, command).await
        }
        Command::Secrets(command) => {
            local_only(server, "secrets")?;
            commands::secrets(&cli.database_url, &cli.master_key, command).await
        }
        // The operator's view across tenants: the local database only, never an
        // admin key's.
        Command::Admin(AdminCommand::Usage(UsageArgs {
            view: Some(UsageView::ByAgent(args)),
            ..
        })) => {
            local_only(server, "usage by-agent")?;
            commands::usage_by_agent(&Db::open(&cli.database_url).await?, args).await
        }
        Command::Admin(command) => match remote(cli.remote.server, cli.remote.key)? {
            Some((server, key)) => commands::run(&AdminClient::new(server, key), command).await,
            None => {
                let db = master_key_source::unlocked(&cli.database_url, &cli.master_key).await?;
                commands::run(&LocalAdmin::new(db, cli.runtime_allow), command).await
            }
        },
    }
}

/// The server and key to act through, or none for the local database.
fn remote(server: Option<String>, key: Option<String>) -> Result<Option<(String, String)>> {
    match (server, key) {
        (Some(server), Some(key)) => Ok(Some((server, key))),
        (None, None) => Ok(None),
        (Some(_), None) => bail!("--server needs --key (or SITEKIT_ADMIN_KEY)"),
        (None, Some(_)) => bail!(
            "--key (or SITEKIT_ADMIN_KEY) is for --server; without --server the admin \
             commands work on the local database"
        ),
    }
}
