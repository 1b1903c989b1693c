//! What every request handler shares.

use std::sync::Arc;
use std::time::Duration;

use crate::assets::AssetStore;
use crate::chat::relay::{RuntimeHttp, Runtimes};
use crate::chat::session::{SessionSigner, SharedSigner};
use crate::chat::stream_slots::{StreamCaps, StreamSlots};
use crate::chat::visitors::VisitorIds;
use crate::client_ip::TrustedProxies;
use crate::db::{DAY_SECS, Db, SigningKeys};
use crate::egress::EgressPolicy;
use crate::keys::states::KeyStates;
use crate::limits::shared::SharedLimiter;
use crate::limits::{Limits, LimitsConfig};
use crate::people::sessions::SessionTimeouts;
use crate::people::{Oidc, People};
use crate::readiness::Readiness;
use crate::retention::Retention;

#[derive(Debug, Clone)]
pub struct AppState {
    pub db: Db,
    pub assets: Arc<AssetStore>,
    pub signer: Arc<SharedSigner>,
    /// Signing keys given in the configuration, which the database never overrides.
    pub configured_signing_keys: bool,
    pub runtimes: Runtimes,
    pub limits: Arc<Limits>,
    /// Whose `X-Forwarded-For` names the client (see `client_ip`).
    pub trusted_proxies: Arc<TrustedProxies>,
    pub keys: Arc<KeyStates>,
    /// How often `keys` is reloaded from the database.
    pub key_refresh: Duration,
    pub session_ttl: Duration,
    /// The server's base URL as pages reach it, for snippets.
    pub public_url: String,
    /// How long threads' messages, usage events and key events are kept.
    pub retention: Retention,
    /// Usage events one widget may have accepted a day.
    pub usage_events_per_widget_per_day: u32,
    /// How long open requests may run on after a shutdown signal.
    pub shutdown_grace: Duration,
    /// How long the node goes on serving after a shutdown signal, not ready.
    pub drain: Duration,
    /// Whether the node wants new work (`/readyz`).
    pub readiness: Arc<Readiness>,
    /// Issues and recognises visitor ids, with the key every node shares.
    pub visitors: Arc<VisitorIds>,
    /// The chat streams open now, within their caps.
    pub streams: Arc<StreamSlots>,
    /// How people sign in to the dashboard, and their sessions.
    pub people: Arc<People>,
    /// What a tenant's URLs may reach besides the public internet (the
    /// runtimes' and webhook endpoints' policy).
    pub egress: Arc<EgressPolicy>,
    /// The pause after a webhook delivery's first failed attempt; later ones
    /// grow from it.
    pub webhook_first_retry: Duration,
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
    /// The Redis every node counts its limits in (`--redis-url`); None: this
    /// process counts alone.
    pub shared_limits: Option<Arc<SharedLimiter>>,
    pub trusted_proxies: TrustedProxies,
    /// What agent runtimes may reach besides the public internet.
    pub runtime_allow: EgressPolicy,
    /// How often key states and stored signing keys are reloaded.
    pub key_refresh: Duration,
    pub retention: Retention,
    pub usage_events_per_widget_per_day: u32,
    pub shutdown_grace: Duration,
    /// How long the node goes on serving after a shutdown signal while
    /// `/readyz` says it is not ready, before it stops accepting connections.
    pub drain: Duration,
    pub stream_caps: StreamCaps,
    /// The identity provider people sign in to the dashboard with, if any.
    pub oidc: Option<Arc<Oidc>>,
    pub dashboard_sessions: SessionTimeouts,
    /// Whether the dashboard offers signing in with a secret key when an
    /// identity provider is configured (without one, it always does).
    pub dashboard_key_sign_in: bool,
    /// The pause after a webhook delivery's first failed attempt
    /// (`--webhook-first-retry-ms`).
    pub webhook_first_retry: Duration,
}

impl ServerConfig {
    /// The defaults `sitekit serve` starts with when no flag or variable says
    /// otherwise (a test in `cli/serve.rs` keeps the two the same), for a
    /// server reached at `public_url` whose runtimes may reach `runtime_allow`.
    pub fn new(public_url: String, runtime_allow: EgressPolicy) -> Self {
        let days = |count: u64| Duration::from_secs(count * DAY_SECS.unsigned_abs());
        ServerConfig {
            public_url,
            session_ttl: Duration::from_secs(600),
            signing_keys: None,
            limits: LimitsConfig::default(),
            shared_limits: None,
            trusted_proxies: TrustedProxies::default(),
            runtime_allow,
            key_refresh: Duration::from_secs(5),
            retention: Retention {
                thread_messages: days(30),
                usage_events: days(90),
                key_events: days(400),
            },
            usage_events_per_widget_per_day: 100_000,
            shutdown_grace: Duration::from_secs(30),
            drain: Duration::ZERO,
            stream_caps: StreamCaps {
                per_server: 10_000,
                per_widget: 2_000,
            },
            oidc: None,
            dashboard_key_sign_in: false,
            webhook_first_retry: Duration::from_secs(5),
            dashboard_sessions: SessionTimeouts {
                idle: Duration::from_secs(30 * 60),
                lifetime: Duration::from_secs(12 * 3600),
            },
        }
    }
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
        // Before any request: the inbox searches with it, and on SQLite its
        // triggers index every message written from here on.
        db.ensure_message_search().await?;
        let visitors = VisitorIds::new(db.visitor_id_key().await?.as_bytes());
        Ok(AppState {
            db,
            assets: Arc::new(assets),
            signer: Arc::new(SharedSigner::new(signer_for(&signing_keys))),
            configured_signing_keys,
            egress: Arc::new(config.runtime_allow.clone()),
            webhook_first_retry: config.webhook_first_retry,
            runtimes: Runtimes::new(RuntimeHttp::new(config.runtime_allow)),
            limits: Arc::new(Limits::new(config.limits, config.shared_limits.clone())),
            trusted_proxies: Arc::new(config.trusted_proxies),
            keys: Arc::new(keys),
            key_refresh: config.key_refresh,
            session_ttl: config.session_ttl,
            public_url: config.public_url,
            retention: config.retention,
            usage_events_per_widget_per_day: config.usage_events_per_widget_per_day,
            shutdown_grace: config.shutdown_grace,
            drain: config.drain,
            readiness: Arc::default(),
            visitors: Arc::new(visitors),
            streams: Arc::new(StreamSlots::new(config.stream_caps, config.shared_limits)),
            people: Arc::new(People {
                key_sign_in: config.oidc.is_none() || config.dashboard_key_sign_in,
                oidc: config.oidc,
                timeouts: config.dashboard_sessions,
            }),
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
