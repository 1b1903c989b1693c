//! A local OpenID Connect provider for the demo: `tests/oidc/provider.js`
//! (`oidc-provider`, the certified Node implementation, installed by `npm ci`)
//! with the dashboard's client and one demo person, so the demo's dashboard
//! signs in the way a production install does with Keycloak.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::Result;

use crate::processes::Services;
use crate::{http, step};

/// The dashboard's client at the provider.
pub const CLIENT_ID: &str = "sitekit-dashboard";

/// A running provider: its issuer URL and the client's secret (this run's own).
pub struct IdentityProvider {
    pub issuer: String,
    pub client_secret: String,
}

/// Starts the provider on `port` for the embed server at `server_url`, with
/// `people` (`{"<login>": {"email", "name"}}`) who sign in with any password,
/// and waits until its discovery document answers.
pub fn start(
    services: &mut Services,
    root: &Path,
    port: u16,
    server_url: &str,
    people: &serde_json::Value,
    log: &Path,
) -> Result<IdentityProvider> {
    let issuer = format!("http://127.0.0.1:{port}");
    step(format!(
        "starting identity provider: tests/oidc/provider.js (oidc-provider) on {issuer} (log: {})",
        log.display()
    ));
    let client_secret = crate::langflow::random_key()?;
    let mut provider = Command::new("node");
    provider
        .current_dir(root.join("tests"))
        .arg(root.join("tests/oidc/provider.js"))
        .env("OIDC_PORT", port.to_string())
        .env("OIDC_CLIENT_ID", CLIENT_ID)
        .env("OIDC_CLIENT_SECRET", &client_secret)
        .env(
            "OIDC_REDIRECT_URI",
            format!("{server_url}/v1/auth/callback"),
        )
        .env(
            "OIDC_POST_LOGOUT_REDIRECT_URI",
            format!("{server_url}/dashboard"),
        )
        .env("OIDC_USERS", people.to_string());
    services.start("identity provider", provider, log)?;
    let discovery = format!("{issuer}/.well-known/openid-configuration");
    services.wait_until("identity provider", Duration::from_secs(30), || {
        http::get(&discovery, &[]).is_ok_and(|response| response.status == 200)
    })?;
    Ok(IdentityProvider {
        issuer,
        client_secret,
    })
}
