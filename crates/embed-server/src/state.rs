//! What every request handler shares.

use std::sync::Arc;
use std::time::Duration;

use crate::assets::AssetStore;
use crate::db::Db;
use crate::key_states::KeyStates;
use crate::limits::{Limits, LimitsConfig};
use crate::relay::Runtimes;
use crate::session::SessionSigner;

#[derive(Debug, Clone)]
pub struct AppState {
    pub db: Db,
    pub assets: Arc<AssetStore>,
    pub signer: Arc<SessionSigner>,
    pub runtimes: Runtimes,
    pub limits: Arc<Limits>,
    pub keys: Arc<KeyStates>,
    /// How often `keys` is reloaded from the database.
    pub key_refresh: Duration,
    pub session_ttl: Duration,
    /// The server's base URL as pages reach it, for snippets.
    pub public_url: String,
}

impl AppState {
    /// State with the signing key stored in (or first generated into) the database.
    pub async fn new(
        db: Db,
        assets: AssetStore,
        session_ttl: Duration,
        limits: LimitsConfig,
        key_refresh: Duration,
        public_url: String,
    ) -> Result<Self, sqlx::Error> {
        let signing_key = db.session_signing_key().await?;
        let keys = KeyStates::load(&db).await?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .expect("the HTTP client has a valid configuration");
        Ok(AppState {
            db,
            assets: Arc::new(assets),
            signer: Arc::new(SessionSigner::new(signing_key.into_bytes())),
            runtimes: Runtimes::new(http),
            limits: Arc::new(Limits::new(limits)),
            keys: Arc::new(keys),
            key_refresh,
            session_ttl,
            public_url,
        })
    }
}
