//! Storage: one sqlx pool over SQLite (default) or PostgreSQL, chosen by the URL,
//! with the same queries for both (`$n` placeholders work in each).

mod at_rest;
mod checkpoint;
mod kept_assets;
pub(crate) mod reachability;
mod secrets;
pub(crate) mod write_queue;
pub(crate) mod writer;

pub use at_rest::{AtRestError, Resealed};
pub use kept_assets::{KeptBody, KeptFile};
pub use secrets::SigningKeys;

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyConnection, AnyPool, Connection};

use crate::master_key::MasterKey;

use writer::Writer;

/// A statement with its values bound, as the query helpers pass it along.
type Shared = Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>;

pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// The database handle every part of the server shares.
#[derive(Debug, Clone)]
pub struct Db {
    /// Reads; on PostgreSQL, writes too.
    pub(crate) pool: AnyPool,
    /// Writes, in turn on SQLite (`writer.rs`). SQLite's readers are
    /// `query_only`, so a write sent to them fails at once rather than
    /// slipping past the writer's line.
    pub(crate) writer: Writer,
    /// SQLite rather than PostgreSQL: for the few statements written for each.
    pub(crate) is_sqlite: bool,
    /// What the stores above keep per database and share between its clones
    /// (e.g. the usage events' group commit), so this engine needs to know
    /// none of them.
    shared: Arc<Shared>,
    /// Seals and opens the secrets stored here (`at_rest.rs`); without it they
    /// can be neither written nor read.
    pub(crate) master_key: Option<Arc<MasterKey>>,
}

#[derive(Debug, thiserror::Error)]
pub enum DbOpenError {
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot create the database directory {0}: {1}")]
    Directory(String, std::io::Error),
    #[error("cannot open the database: {0}")]
    Connect(sqlx::Error),
    #[error("cannot migrate the database: {0}")]
    Migrate(sqlx::migrate::MigrateError),
}

/// What a SQLite connection is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SqliteRole {
    Reader,
    Writer,
}

impl Db {
    /// Opens (creating a SQLite file if needed) and migrates the database. Its
    /// secrets stay closed until [`Db::with_master_key`].
    pub async fn open(url: &str) -> Result<Db, DbOpenError> {
        sqlx::any::install_default_drivers();
        let is_sqlite = url.starts_with("sqlite:");
        if !is_sqlite && !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
            return Err(DbOpenError::UnsupportedUrl(url.to_owned()));
        }
        if !is_sqlite {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .connect(url)
                .await
                .map_err(DbOpenError::Connect)?;
            return Db::migrated(pool.clone(), Writer::Pool(pool), false).await;
        }
        let url = sqlite_url(url)?;
        let mut writer = AnyConnection::connect(&url)
            .await
            .map_err(DbOpenError::Connect)?;
        configure_sqlite(&mut writer, SqliteRole::Writer)
            .await
            .map_err(DbOpenError::Connect)?;
        // WAL lets readers run beside the one writer; it is a property of the
        // file, so it is set before any reader opens it.
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&mut writer)
            .await
            .map_err(DbOpenError::Connect)?;
        let readers = AnyPoolOptions::new()
            .max_connections(8)
            .after_connect(|connection, _| {
                Box::pin(configure_sqlite(connection, SqliteRole::Reader))
            })
            .connect(&url)
            .await
            .map_err(DbOpenError::Connect)?;
        Db::migrated(readers, Writer::single(writer), true).await
    }

    async fn migrated(pool: AnyPool, writer: Writer, is_sqlite: bool) -> Result<Db, DbOpenError> {
        // One set of migrations in SQL both databases accept.
        sqlx::migrate!("./migrations")
            .run(&mut *writer.connection().await.map_err(DbOpenError::Connect)?)
            .await
            .map_err(DbOpenError::Migrate)?;
        Ok(Db {
            pool,
            writer,
            is_sqlite,
            shared: Arc::default(),
            master_key: None,
        })
    }

    /// The one `T` of this database, made on first use.
    pub(crate) fn shared<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let mut slots = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = slots
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(T::default()));
        Arc::clone(slot)
            .downcast::<T>()
            .expect("a slot holds the type it is keyed by")
    }

    /// True when the database answers a trivial query.
    pub async fn is_reachable(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}

/// The server's settings for a SQLite connection with `role`.
async fn configure_sqlite(
    connection: &mut AnyConnection,
    role: SqliteRole,
) -> Result<(), sqlx::Error> {
    // Enforce references; wait rather than fail while a checkpoint or another
    // process holds a lock.
    sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut *connection)
        .await?;
    sqlx::query("PRAGMA busy_timeout = 5000")
        .execute(&mut *connection)
        .await?;
    // With WAL, NORMAL never corrupts the database; a power cut may lose the
    // last commits. It spares every commit (one per chat message) a wait for
    // the disk.
    sqlx::query("PRAGMA synchronous = NORMAL")
        .execute(&mut *connection)
        .await?;
    if role == SqliteRole::Reader {
        sqlx::query("PRAGMA query_only = ON")
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

/// Adds `mode=rwc` (create if missing) and creates the parent directory.
fn sqlite_url(url: &str) -> Result<String, DbOpenError> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    if path != ":memory:"
        && let Some(parent) = Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| DbOpenError::Directory(parent.display().to_string(), e))?;
    }
    Ok(if query.is_empty() {
        format!("sqlite://{path}?mode=rwc")
    } else {
        url.to_owned()
    })
}

/// Now, in Unix seconds: the one clock the storage layer uses.
pub fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Now, in Unix milliseconds, for what happens many times a second.
pub fn now_unix_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    now.unix_timestamp() * 1_000 + i64::from(now.millisecond())
}

/// A UTC day in seconds and in milliseconds: the unit of budgets, roll-ups
/// and retention.
pub const DAY_SECS: i64 = 86_400;
pub const DAY_MS: i64 = DAY_SECS * 1_000;

/// A new random id with a type prefix, e.g. `wgt_3ZrX…`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", crate::codec::random_base62(20))
}
