//! `sitekit operator-keys`: the operator's keys, made, listed and revoked only
//! on the server's machine, since one opens every organisation's
//! provisioning.

use anyhow::Result;
use serde_json::json;
use sitekit_embed_server::db::Db;
use sitekit_embed_server::operator::{OperatorKeyListing, ops};

use crate::cli::args::OperatorKeyCommand;
use crate::cli::commands::{print, print_created_key};

pub async fn run(db: &Db, command: OperatorKeyCommand) -> Result<()> {
    match command {
        OperatorKeyCommand::Create {
            note,
            scopes,
            expires_in_days,
            json,
        } => {
            let created =
                ops::create_operator_key(db, &note, scopes.as_deref(), expires_in_days).await?;
            print(json, &created, print_created_key)
        }
        OperatorKeyCommand::List { json } => {
            let list = OperatorKeyList {
                keys: db.operator_keys().await?,
            };
            print(json, &list, |list| list.keys.iter().for_each(print_key))
        }
        OperatorKeyCommand::Revoke { id, json } => {
            ops::revoke_operator_key(db, &id).await?;
            print(json, &json!({ "id": id, "revoked": true }), |_| {
                println!("revoked operator key {id}; it stops working at once");
            })
        }
    }
}

/// As `--json` prints the list.
#[derive(serde::Serialize)]
struct OperatorKeyList {
    keys: Vec<OperatorKeyListing>,
}

fn print_key(key: &OperatorKeyListing) {
    let state = if key.revoked { "revoked" } else { "active" };
    println!(
        "{}  {}  {}  {state}  {}",
        key.id, key.display, key.scopes, key.note
    );
}
