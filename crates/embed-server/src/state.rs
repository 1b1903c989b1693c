//! What every request handler shares.

use std::sync::Arc;
use std::time::Duration;

use crate::assets::AssetStore;
use crate::db::{Db, SigningKeys};
use crate::key_states::KeyStates;
use crate::limits::{Limits, LimitsConfig};
use crate::relay::Runtimes;
use crate::session::{SessionSigner, SharedSigner};
use crate::stream_slots::{StreamCaps, StreamSlots};

#[derive(Debug, Clone)]
pub struct AppState {
    pub db: Db,
    pub assets: Arc<AssetStore>,
    pub signer: Arc<SharedSigner>,
    /// Signing keys given in the configuration, which the database never overrides.
    pub configured_signing_keys: bool,
    pub runtimes: Runtimes,
    pub limits: Arc<Limits>,
    pub keys: Arc<KeyStates>,
    /// How often `keys` is reloaded from the database.
    pub key_refresh: Duration,
    pub session_ttl: Duration,
    /// The server's base URL as pages reach it, for snippets.
    pub public_url: String,
    /// How long threads' messages are kept.
    pub thread_retention: Duration,
    /// How long open requests may run on after a shutdown signal.
    pub shutdown_grace: Duration,
    /// The chat streams open now, within their caps.
    pub streams: Arc<StreamSlots>,
}

/// How a server is set up, besides its database and assets: what `sitekit
/// serve` reads from its command line.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The server's base URL as pages reach it, for snippets.
    pub public_url: String,
    pub session_ttl: Duration,
    /// Session signing keys from the configuration; None: those stored in (or
    /// first generated into) the database.
    pub signing_keys: Option<SigningKeys>,
    pub limits: LimitsConfig,
    /// How often key states and stored signing keys are reloaded.
    pub key_refresh: Duration,
    pub thread_retention: Duration,
    pub shutdown_grace: Duration,
    pub stream_caps: StreamCaps,
}

impl AppState {
    /// The state every request shares, for a server set up as `config`.
    pub async fn build(
        db: Db,
        assets: AssetStore,
        config: ServerConfig,
    ) -> Result<Self, sqlx::Error> {
        let configured_signing_keys = config.signing_keys.is_some();
        let signing_keys = match config.signing_keys {
            Some(keys) => keys,
            None => db.session_signing_keys().await?,
        };
        let keys = KeyStates::load(&db).await?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .expect("the HTTP client has a valid configuration");
        Ok(AppState {
            db,
            assets: Arc::new(assets),
            signer: Arc::new(SharedSigner::new(signer_for(&signing_keys))),
            configured_signing_keys,
            runtimes: Runtimes::new(http),
            limits: Arc::new(Limits::new(config.limits)),
            keys: Arc::new(keys),
            key_refresh: config.key_refresh,
            session_ttl: config.session_ttl,
            public_url: config.public_url,
            thread_retention: config.thread_retention,
            shutdown_grace: config.shutdown_grace,
            streams: Arc::new(StreamSlots::new(config.stream_caps)),
        })
    }
}

impl AppState {
    /// Picks up a rotation of the stored signing keys (nothing to do when they
    /// come from the configuration).
    pub async fn reload_signing_keys(&self) -> Result<(), sqlx::Error> {
        if !self.configured_signing_keys {
            let keys = self.db.session_signing_keys().await?;
            self.signer.replace(signer_for(&keys));
        }
        Ok(())
    }
}

fn signer_for(keys: &SigningKeys) -> SessionSigner {
    SessionSigner::with_previous(
        keys.current.as_bytes(),
        keys.previous.as_ref().map(|key| key.as_bytes()),
    )
}
