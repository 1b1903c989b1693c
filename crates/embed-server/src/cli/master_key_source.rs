//! Which master key a command opens the database's secrets with:
//! `--master-key`, `--master-key-file`, or the default key file, which is made
//! on a database that holds nothing sealed yet (a first start, or an upgrade
//! from a release that stored secrets in plain text).

use std::path::Path;

use anyhow::{Result, bail};
use sitekit_embed_server::db::Db;
use sitekit_embed_server::master_key::{MasterKey, MasterKeyError};

use crate::cli::args::MasterKeyArgs;

/// Where the key file is looked for, and made, when none is named.
pub const DEFAULT_KEY_FILE: &str = "data/master.key";

/// The database at `url`, its secrets checked against the master key and
/// opened with it (plain ones sealed on the way).
pub async fn unlocked(url: &str, args: &MasterKeyArgs) -> Result<Db> {
    let db = Db::open(url).await?;
    let key = match given(args)? {
        Some(key) => key,
        None if db.holds_sealed_secrets().await? => bail!(
            "this database holds secrets encrypted with a master key, and none was given: pass \
             --master-key (SITEKIT_MASTER_KEY) or --master-key-file (SITEKIT_MASTER_KEY_FILE; \
             default {DEFAULT_KEY_FILE}, which does not exist)"
        ),
        None => generated(Path::new(DEFAULT_KEY_FILE))?,
    };
    Ok(db.with_master_key(key).await?)
}

/// The key the command line names, or the default file's if it exists.
pub fn given(args: &MasterKeyArgs) -> Result<Option<MasterKey>> {
    if let Some(text) = &args.master_key {
        return Ok(Some(MasterKey::parse(
            text,
            "--master-key (SITEKIT_MASTER_KEY)",
        )?));
    }
    let default = Path::new(DEFAULT_KEY_FILE);
    match &args.master_key_file {
        Some(path) => Ok(Some(MasterKey::read_file(path)?)),
        None if default.exists() => Ok(Some(MasterKey::read_file(default)?)),
        None => Ok(None),
    }
}

/// A new key in a new file at `path`, or the one another process made there
/// a moment ago.
fn generated(path: &Path) -> Result<MasterKey> {
    match MasterKey::create_file(path) {
        Ok(key) => {
            tracing::info!(
                "generated a master key in {} (mode 0600): the database's secrets are encrypted \
                 with it; back it up apart from the database and give every node the same key",
                path.display()
            );
            Ok(key)
        }
        Err(MasterKeyError::Create(_, error))
            if error.kind() == std::io::ErrorKind::AlreadyExists =>
        {
            Ok(MasterKey::read_file(path)?)
        }
        Err(error) => Err(error.into()),
    }
}
