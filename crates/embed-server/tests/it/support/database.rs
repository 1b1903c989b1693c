//! Where a test server keeps its data, and the master key that opens it.

use std::sync::atomic::{AtomicU32, Ordering};

use sitekit_embed_server::db::Db;
use sitekit_embed_server::master_key::MasterKey;

use super::TempDir;

/// Where a test server keeps its data: a SQLite file in its directory or, when
/// the run asks for PostgreSQL (`SITEKIT_TEST_DATABASE=postgres`, with
/// `DATABASE_URL_PG` naming a server and a role that may create databases), a
/// fresh database of its own there, dropped afterwards.
pub struct TestDatabase {
    pub url: String,
    /// (URL of the database to run `DROP DATABASE` from, name to drop)
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn create(dir: &TempDir) -> TestDatabase {
        if std::env::var("SITEKIT_TEST_DATABASE").as_deref() != Ok("postgres") {
            let url = format!("sqlite://{}", dir.path().join("sitekit.db").display());
            return TestDatabase {
                url,
                postgres: None,
            };
        }
        let admin_url = std::env::var("DATABASE_URL_PG")
            .expect("SITEKIT_TEST_DATABASE=postgres needs DATABASE_URL_PG");
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "sitekit_it_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&admin_url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        let mut url = reqwest::Url::parse(&admin_url).unwrap();
        url.set_path(&name);
        TestDatabase {
            url: url.to_string(),
            postgres: Some((admin_url, name)),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop cannot await; a thread with its own runtime can, even inside a test's.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let pool = sqlx::AnyPool::connect(&admin_url).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&pool)
                .await
                .map(drop)
            })
        })
        .join();
        if let Ok(Err(error)) = dropped {
            eprintln!("could not drop a test database: {error}");
        }
    }
}

/// The master key every `sitekit` a test starts is given, and [`open_db`]
/// opens the database's secrets with. One fixed key: the storage tests share
/// the PostgreSQL database `DATABASE_URL_PG` names from run to run.
pub const MASTER_KEY: &str = "5e7a1c0d9b3f4a6e8c2d1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c";

pub fn master_key() -> MasterKey {
    MasterKey::parse(MASTER_KEY, "the tests' master key").unwrap()
}

/// The database at `url` with its secrets opened by [`MASTER_KEY`], as a
/// `sitekit` a test starts opens it.
pub async fn open_db(url: &str) -> Db {
    Db::open(url)
        .await
        .unwrap()
        .with_master_key(master_key())
        .await
        .unwrap()
}
