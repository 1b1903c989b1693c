//! Dashboard sessions of signed-in people: a random token in an `HttpOnly`,
//! `Secure`, `SameSite=Strict` cookie, stored only as its hash and revocable;
//! ended by sign-out, by idleness, or at its absolute lifetime. Writes carry
//! the session's CSRF token, which the page reads from `GET /v1/auth/me`.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::codec::hex;
use crate::people::store::WebSession;

/// The cookie's name. `__Host-`: only ever set by this host, on `/`, `Secure`.
pub const COOKIE: &str = "__Host-sitekit_session";

/// The header a write's CSRF token comes in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How long sessions last.
#[derive(Debug, Clone, Copy)]
pub struct SessionTimeouts {
    /// Unused this long, a session ends.
    pub idle: Duration,
    /// Used or not, a session ends this long after sign-in.
    pub lifetime: Duration,
}

/// A new session token: 256 random bits.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored of a token.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// The session's CSRF token: derived from the session's own token, so it
/// needs no storage and tells nothing about the token.
pub fn csrf_token(token: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(b"sitekit dashboard csrf\0");
    digest.update(token.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.finalize())
}

/// Whether `presented` is the session's CSRF token, compared in constant time.
pub fn csrf_matches(token: &str, presented: &str) -> bool {
    let expected = csrf_token(token);
    expected.len() == presented.len()
        && expected
            .bytes()
            .zip(presented.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// The `Set-Cookie` value that hands the browser its session.
pub fn set_cookie(token: &str, lifetime: Duration) -> String {
    format!(
        "{COOKIE}={token}; Path=/; Max-Age={}; HttpOnly; Secure; SameSite=Strict",
        lifetime.as_secs()
    )
}

/// The `Set-Cookie` value that removes it.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict")
}

/// Why a session no longer works, if it does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Signed out, or the membership ended.
    Revoked,
    Idle,
    PastLifetime,
}

impl Ended {
    pub fn message(self) -> &'static str {
        match self {
            Ended::Revoked => {
                "this sign-in was ended: signed out, or the membership ended; sign in again"
            }
            Ended::Idle => "this sign-in ended after a while unused; sign in again",
            Ended::PastLifetime => "this sign-in reached its lifetime; sign in again",
        }
    }
}

/// `Ok` while `session` works at `now` (Unix seconds).
pub fn check(session: &WebSession, timeouts: SessionTimeouts, now: i64) -> Result<(), Ended> {
    let idle = i64::try_from(timeouts.idle.as_secs()).unwrap_or(i64::MAX);
    if session.revoked {
        Err(Ended::Revoked)
    } else if now >= session.expires_at {
        Err(Ended::PastLifetime)
    } else if now >= session.last_seen_at.saturating_add(idle) {
        Err(Ended::Idle)
    } else {
        Ok(())
    }
}

/// The session's own cookie among a request's `Cookie` headers.
pub fn token_from_cookies<'a>(headers: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    headers
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(last_seen_at: i64, expires_at: i64, revoked: bool) -> WebSession {
        WebSession {
            subject: "sub".into(),
            tenant_id: "ten".into(),
            created_at: 0,
            last_seen_at,
            expires_at,
            revoked,
        }
    }

    const TIMEOUTS: SessionTimeouts = SessionTimeouts {
        idle: Duration::from_secs(600),
        lifetime: Duration::from_secs(3600),
    };

    #[test]
    fn a_session_ends_when_idle_past_its_lifetime_or_signed_out() {
        assert_eq!(check(&session(100, 3600, false), TIMEOUTS, 699), Ok(()));
        assert_eq!(
            check(&session(100, 3600, false), TIMEOUTS, 700),
            Err(Ended::Idle)
        );
        assert_eq!(
            check(&session(3500, 3600, false), TIMEOUTS, 3600),
            Err(Ended::PastLifetime)
        );
        assert_eq!(
            check(&session(100, 3600, true), TIMEOUTS, 101),
            Err(Ended::Revoked)
        );
    }

    #[test]
    fn the_csrf_token_belongs_to_its_session_only() {
        let (one, other) = (new_token(), new_token());
        assert!(csrf_matches(&one, &csrf_token(&one)));
        assert!(!csrf_matches(&one, &csrf_token(&other)));
        assert!(!csrf_matches(&one, ""));
        assert_ne!(csrf_token(&one), one);
    }

    #[test]
    fn the_cookie_is_http_only_secure_and_strict_and_found_among_others() {
        let cookie = set_cookie("abc", TIMEOUTS.lifetime);
        for attribute in [
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=3600",
        ] {
            assert!(cookie.contains(attribute), "{cookie}");
        }
        let headers = ["theme=dark; __Host-sitekit_session=abc", "other=1"];
        assert_eq!(token_from_cookies(headers.into_iter()), Some("abc"));
        assert_eq!(
            token_from_cookies(["__Host-sitekit_session="].into_iter()),
            None
        );
    }
}
