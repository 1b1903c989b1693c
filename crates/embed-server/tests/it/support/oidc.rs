//! A real OpenID Connect provider for the sign-in tests: `oidc-provider`, the
//! certified Node implementation, run by `tests/oidc/provider.js` (installed
//! by `npm ci`, which `cargo xtask test` runs), and what a browser does on its
//! pages, done with plain HTTP: follow its redirects, keep its cookies, submit
//! its login form.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use sitekit_embed_server::people::{Oidc, OidcConfig};
use sitekit_embed_server::state::ServerConfig;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::TestServer;

pub const CLIENT_ID: &str = "sitekit-dashboard";
const CLIENT_SECRET: &str = "a-test-client-secret-of-the-dashboard";

/// The provider process, stopped when dropped.
pub struct Provider {
    pub issuer: String,
    _child: Child,
}

/// An in-process server that signs people in with a provider of its own, and
/// the provider (`users` as for [`Provider::start`]): the server's socket is
/// bound first, so the provider knows where to send people back, and the
/// provider then tells the server its issuer.
pub async fn server_with_provider(
    users: serde_json::Value,
    organisations_claim: Option<&str>,
    more: impl FnOnce(&mut ServerConfig),
) -> (TestServer, Provider) {
    let listener = TestServer::listener();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let provider = Provider::start(&url, users).await;
    let server = TestServer::in_process_on(listener, |config| {
        configure(config, &provider.issuer, organisations_claim);
        more(config);
    })
    .await;
    (server, provider)
}

/// Sets `config` up to sign people in with the provider at `issuer`, reading
/// organisations from the ID token's `organisations_claim` if given.
fn configure(config: &mut ServerConfig, issuer: &str, organisations_claim: Option<&str>) {
    let oidc = Oidc::new(
        &OidcConfig {
            issuer: issuer.to_owned(),
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            organisations_claim: organisations_claim.map(|path| path.parse().unwrap()),
        },
        &format!("{}/v1/auth/callback", config.public_url),
    )
    .unwrap();
    config.oidc = Some(Arc::new(oidc));
}

impl Provider {
    /// The provider on a port of its choosing, whose dashboard client comes
    /// back to `server`. `users`: test people's claims by login
    /// (`{"alice": {"email": …}}`).
    pub async fn start(server: &str, users: serde_json::Value) -> Provider {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let script = root.join("tests/oidc/provider.js");
        assert!(
            root.join("node_modules/oidc-provider").exists(),
            "the sign-in tests need the npm package oidc-provider: run `npm ci` at the \
             repository's root (cargo xtask test does)"
        );
        let mut child = Command::new("node")
            .arg(&script)
            .current_dir(root.join("tests"))
            .env("OIDC_CLIENT_ID", CLIENT_ID)
            .env("OIDC_CLIENT_SECRET", CLIENT_SECRET)
            .env("OIDC_REDIRECT_URI", format!("{server}/v1/auth/callback"))
            .env(
                "OIDC_POST_LOGOUT_REDIRECT_URI",
                format!("{server}/dashboard"),
            )
            .env("OIDC_USERS", users.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs tests/oidc/provider.js");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("the provider prints `ready <issuer>`");
        let issuer = line
            .strip_prefix("ready ")
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .to_owned();
        // Keep reading, so the provider never writes to a closed pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Provider {
            issuer,
            _child: child,
        }
    }

    /// From the next sign-in on, `login`'s ID tokens carry `claims` (beside
    /// `sub`, email and name), as when an administrator changes them.
    pub async fn set_claims(&self, login: &str, claims: serde_json::Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/test/claims", self.issuer))
            .body(serde_json::json!({ "login": login, "claims": claims }).to_string())
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }

    /// From now on the provider's token endpoint hands out ID tokens spoilt
    /// as `mode` says (`signature`, `audience`, `issuer`, `expired`, `nonce`,
    /// `unsigned`; `none` for honest ones).
    pub async fn tamper(&self, mode: &str) {
        let response = reqwest::Client::new()
            .post(format!("{}/test/tamper", self.issuer))
            .body(serde_json::json!({ "mode": mode }).to_string())
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }
}

/// A browser's cookies for one site, as name → value.
#[derive(Default)]
struct Jar(BTreeMap<String, String>);

impl Jar {
    fn keep(&mut self, response: &reqwest::Response) {
        for cookie in response.headers().get_all(SET_COOKIE) {
            let pair = cookie.to_str().unwrap().split(';').next().unwrap();
            if let Some((name, value)) = pair.split_once('=') {
                self.0
                    .insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// A client that shows redirects instead of following them.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(response: &reqwest::Response, base: &str) -> String {
    let location = response.headers()[LOCATION].to_str().unwrap();
    reqwest::Url::parse(base)
        .unwrap()
        .join(location)
        .unwrap()
        .to_string()
}

/// What a browser does from the server's sign-in link to the moment the
/// provider sends it back: the callback URL it is sent to, with the code and
/// the state. `login` is typed into the provider's own login form.
pub async fn provider_answer(server: &str, provider: &Provider, login: &str) -> String {
    provider_answer_from(&format!("{server}/v1/auth/login"), server, provider, login).await
}

/// [`provider_answer`] from another sign-in link of the server's, such as an
/// invitation's.
pub async fn provider_answer_from(
    link: &str,
    server: &str,
    provider: &Provider,
    login: &str,
) -> String {
    let http = no_redirects();
    let started = http.get(link).send().await.unwrap();
    assert_eq!(started.status(), StatusCode::SEE_OTHER, "sign-in link");
    let mut next = location(&started, server);
    assert!(next.starts_with(&provider.issuer), "{next}");
    let mut jar = Jar::default();
    // The provider's pages: its authorization endpoint, its login page (a
    // form), then back to the authorization endpoint, which answers the server.
    for _ in 0..8 {
        if next.starts_with(server) {
            return next;
        }
        let response = http
            .get(&next)
            .header(COOKIE, jar.header())
            .send()
            .await
            .unwrap();
        jar.keep(&response);
        if response.status() == StatusCode::OK {
            // The login page: submit its form as a person would.
            let form = http
                .post(&next)
                .header(COOKIE, jar.header())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form_body(&[
                    ("prompt", "login"),
                    ("login", login),
                    ("password", "any"),
                ]))
                .send()
                .await
                .unwrap();
            jar.keep(&form);
            assert!(
                form.status().is_redirection(),
                "login form: {}",
                form.status()
            );
            next = location(&form, &provider.issuer);
        } else {
            assert!(
                response.status().is_redirection(),
                "provider page {next}: {}",
                response.status()
            );
            next = location(&response, &provider.issuer);
        }
    }
    panic!("the provider never sent the browser back to the server");
}

/// The session cookie's token of a `Set-Cookie` answer, with the cookie's
/// attributes.
pub fn session_cookie(response: &reqwest::Response) -> Option<(String, String)> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find(|cookie| cookie.starts_with("__Host-sitekit_session="))
        .map(|cookie| {
            let token = cookie
                .split(';')
                .next()
                .unwrap()
                .trim_start_matches("__Host-sitekit_session=")
                .to_owned();
            (token, cookie)
        })
}

/// `application/x-www-form-urlencoded`, as a browser submits a form.
fn form_body(fields: &[(&str, &str)]) -> String {
    let mut body = reqwest::Url::parse("http://form.invalid/").unwrap();
    body.query_pairs_mut().extend_pairs(fields);
    body.query().unwrap_or_default().to_owned()
}
