//! `sitekit serve`: the server's setup from its command line, built once
//! ([`ServerConfig`]), then the listener, the state and the shutdown signal.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use sitekit_embed_server::assets::AssetStore;
use sitekit_embed_server::chat::stream_slots::StreamCaps;
use sitekit_embed_server::db::{DAY_SECS, Db, SigningKeys};
use sitekit_embed_server::egress::EgressPolicy;
use sitekit_embed_server::kept_releases;
use sitekit_embed_server::limits::LimitsConfig;
use sitekit_embed_server::limits::shared::SharedLimiter;
use sitekit_embed_server::people::sessions::SessionTimeouts;
use sitekit_embed_server::people::{Oidc, OidcConfig};
use sitekit_embed_server::retention::Retention;
use sitekit_embed_server::state::ServerConfig;
use sitekit_embed_server::{AppState, serve};
use tokio::net::TcpListener;

use crate::cli::args::ServeArgs;

pub async fn run_server(db: Db, args: ServeArgs, runtime_allow: EgressPolicy) -> Result<()> {
    let signing_keys = configured_signing_keys(&args)?;
    let assets = AssetStore::locate(args.assets_dir.as_deref())?;
    // Before listening: a page with this release's pinned snippet may reach
    // any node, however old that node's own build.
    kept_releases::keep_release(&db, &assets, args.kept_releases)
        .await
        .context("cannot keep this release's assets in the database")?;
    let listener = TcpListener::bind(&args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let address = listener.local_addr()?;
    let mut config = server_config(&args, address, signing_keys, runtime_allow);
    config.oidc = identity_provider(&args, &config.public_url)?;
    config.shared_limits = shared_limits(&args)?;
    let state = AppState::build(db, assets, config)
        .await
        .context("cannot load the session signing keys and key states")?;
    // Tests and scripts read this line to learn the port when binding port 0.
    println!("sitekit listening on http://{address}");
    serve(listener, state, shutdown_signal()).await?;
    Ok(())
}

/// The server's setup from its command line, once it listens on `address`.
fn server_config(
    args: &ServeArgs,
    address: SocketAddr,
    signing_keys: Option<SigningKeys>,
    runtime_allow: EgressPolicy,
) -> ServerConfig {
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{address}"));
    ServerConfig {
        session_ttl: Duration::from_secs(args.session_ttl_secs),
        signing_keys,
        limits: LimitsConfig {
            requests_per_ip_per_minute: args.requests_per_ip_per_minute,
            sessions_per_key_per_minute: args.sessions_per_key_per_minute,
            messages_per_visitor_per_minute: args.messages_per_visitor_per_minute,
            admin_requests_per_key_per_minute: args.admin_requests_per_key_per_minute,
            admin_requests_per_ip_per_minute: args.admin_requests_per_ip_per_minute,
            sessions_per_ip_per_minute: args.sessions_per_ip_per_minute,
        },
        trusted_proxies: args.trusted_proxies.clone(),
        key_refresh: Duration::from_secs(args.key_refresh_secs),
        retention: Retention {
            thread_messages: days(args.thread_retention_days),
            usage_events: days(args.usage_event_retention_days),
            key_events: days(args.key_event_retention_days),
        },
        usage_events_per_widget_per_day: args.usage_events_per_widget_per_day,
        shutdown_grace: Duration::from_secs(args.shutdown_grace_secs),
        drain: Duration::from_secs(args.drain_secs),
        stream_caps: StreamCaps {
            per_server: args.max_streams,
            per_widget: args.max_streams_per_widget,
        },
        dashboard_key_sign_in: args.dashboard_key_sign_in,
        webhook_first_retry: Duration::from_millis(args.webhook_first_retry_ms),
        dashboard_sessions: SessionTimeouts {
            idle: Duration::from_secs(args.dashboard_idle_minutes * 60),
            lifetime: Duration::from_secs(args.dashboard_session_hours * 3600),
        },
        ..ServerConfig::new(public_url.trim_end_matches('/').to_owned(), runtime_allow)
    }
}

/// The Redis of `--redis-url` that every node counts its rate limits in;
/// none without the flag.
fn shared_limits(args: &ServeArgs) -> Result<Option<Arc<SharedLimiter>>> {
    let Some(url) = &args.redis_url else {
        return Ok(None);
    };
    let limiter = SharedLimiter::new(url, "sitekit:limits")
        .map_err(|error| anyhow::anyhow!("--redis-url is not a Redis URL: {error}"))?;
    tracing::info!("rate limits shared by every node through Redis");
    Ok(Some(Arc::new(limiter)))
}

/// The identity provider of `--oidc-issuer`, whose sign-ins come back to
/// this server's callback; none without the flag.
fn identity_provider(args: &ServeArgs, public_url: &str) -> Result<Option<Arc<Oidc>>> {
    let (Some(issuer), Some(client_id), Some(client_secret)) = (
        &args.oidc_issuer,
        &args.oidc_client_id,
        &args.oidc_client_secret,
    ) else {
        return Ok(None);
    };
    let config = OidcConfig {
        issuer: issuer.clone(),
        client_id: client_id.clone(),
        client_secret: client_secret.clone(),
        organisations_claim: args.oidc_organisations_claim.clone(),
    };
    let callback = format!("{public_url}/v1/auth/callback");
    let oidc = Oidc::new(&config, &callback).map_err(anyhow::Error::msg)?;
    tracing::info!(issuer = %issuer, %callback, "dashboard sign-in with OpenID Connect");
    Ok(Some(Arc::new(oidc)))
}

fn days(count: u64) -> Duration {
    Duration::from_secs(count * DAY_SECS.unsigned_abs())
}

/// Anyone holding the signing secret can mint sessions: refuse guessable ones.
const MIN_SESSION_SECRET_LEN: usize = 32;

fn configured_signing_keys(args: &ServeArgs) -> Result<Option<SigningKeys>> {
    let check = |flag: &str, secret: &str| {
        ensure!(
            secret.len() >= MIN_SESSION_SECRET_LEN,
            "{flag} must have at least {MIN_SESSION_SECRET_LEN} characters"
        );
        Ok(secret.to_owned())
    };
    let Some(current) = &args.session_secret else {
        return Ok(None);
    };
    Ok(Some(SigningKeys {
        current: check("--session-secret", current)?,
        previous: args
            .previous_session_secret
            .as_deref()
            .map(|previous| check("--previous-session-secret", previous))
            .transpose()?,
    }))
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::args::{Cli, Command};

    /// In-process servers (the integration tests') start from
    /// `ServerConfig::new`: it must be what a bare `sitekit serve` runs with.
    #[test]
    fn a_bare_serve_runs_with_the_library_defaults() {
        let cli = Cli::try_parse_from(["sitekit", "serve"]).unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve");
        };
        let address: SocketAddr = "127.0.0.1:8787".parse().unwrap();
        let from_flags = server_config(&args, address, None, EgressPolicy::default());
        let defaults = ServerConfig::new("http://127.0.0.1:8787".into(), EgressPolicy::default());
        assert_eq!(format!("{from_flags:?}"), format!("{defaults:?}"));
    }
}
