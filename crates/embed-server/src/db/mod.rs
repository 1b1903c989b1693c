//! Storage: one sqlx pool over SQLite (default) or PostgreSQL, chosen by the URL,
//! with the same queries for both (`$n` placeholders work in each).

mod agents;
mod budgets;
mod keys;
mod rollups;
mod secrets;
mod tenants;
mod threads;
mod usage_daily;
mod usage_events;
mod usage_export;
mod usage_runs;
mod widgets;

pub use agents::{Agent, AgentDeletion};
pub use budgets::{BudgetOutcome, DAY_SECS};
pub use keys::{
    AdminKeyRecord, DEFAULT_ROTATION_GRACE_SECS, KeyEvent, KeyListing, KeyState,
    MAX_ROTATION_GRACE_SECS, NewAdminKey, RotatedKey,
};
pub use rollups::{DAY_MS, RollupCell};
pub use secrets::SigningKeys;
pub use tenants::Tenant;
pub use threads::{ThreadKey, Turn};
pub use usage_daily::{AgentUsageRow, DailyRow, UsageFilter, UsageSubject};
pub use usage_events::{CountedEvent, EventSender, NewUsageEvent};
pub use usage_export::{EventCursor, StoredUsageEvent};
pub use usage_runs::UsageRun;
pub use widgets::{PublishableKeyRecord, Widget};

use std::path::Path;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

/// The database handle every part of the server shares.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
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

impl Db {
    /// Opens (creating a SQLite file if needed) and migrates the database.
    pub async fn open(url: &str) -> Result<Db, DbOpenError> {
        sqlx::any::install_default_drivers();
        let is_sqlite = url.starts_with("sqlite:");
        if !is_sqlite && !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
            return Err(DbOpenError::UnsupportedUrl(url.to_owned()));
        }
        let url = if is_sqlite {
            sqlite_url(url)?
        } else {
            url.to_owned()
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if is_sqlite { 8 } else { 16 })
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if is_sqlite {
                        // Per-connection settings: enforce references, wait rather
                        // than fail when another connection holds the write lock.
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *connection)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 5000")
                            .execute(&mut *connection)
                            .await?;
                        // With WAL, NORMAL never corrupts the database; a power cut
                        // may lose the last commits. It spares every commit (one per
                        // chat message) a wait for the disk.
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *connection)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(DbOpenError::Connect)?;
        if is_sqlite {
            // WAL lets readers run beside the one writer; it is a property of the file.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await
                .map_err(DbOpenError::Connect)?;
        }
        // One set of migrations in SQL both databases accept.
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(DbOpenError::Migrate)?;
        Ok(Db { pool })
    }

    /// True when the database answers a trivial query.
    pub async fn is_reachable(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
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

/// A new random id with a type prefix, e.g. `wgt_3ZrX…`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", crate::keys::random_base62(20))
}
