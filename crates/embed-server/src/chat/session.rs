//! Stateless session tokens: HMAC-SHA256 over compact JSON claims, so any node can
//! verify one without touching the database.
//!
//! Token = base64url(claims JSON) "." base64url(HMAC-SHA256(secret, claims part)).
//!
//! The signing secret can be rotated: tokens are signed with the current secret
//! and accepted under the current or the previous one, so sessions minted before a
//! rotation live out their (short) lives.

use std::sync::{Arc, RwLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::keys::scopes::Scopes;

type HmacSha256 = Hmac<Sha256>;

/// What a session token vouches for. Serialised with two-letter names: the
/// token travels in every chat request's header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    #[serde(rename = "tn")]
    pub tenant_id: String,
    #[serde(rename = "wg")]
    pub widget_id: String,
    /// The key the session was minted with, and its generation then.
    #[serde(rename = "ky")]
    pub key_id: String,
    #[serde(rename = "kg")]
    pub key_generation: i64,
    #[serde(rename = "vi")]
    pub visitor_id: String,
    /// The origin the session was minted for.
    #[serde(rename = "or")]
    pub origin: String,
    /// Space separated in the token.
    #[serde(rename = "sc")]
    pub scopes: Scopes,
    /// Unix seconds.
    #[serde(rename = "ex")]
    pub expires_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("the session token is malformed or its signature is wrong")]
    Invalid,
    #[error("the session has expired")]
    Expired,
}

/// Signs with the current secret; verifies under the current or previous one.
#[derive(Clone)]
pub struct SessionSigner {
    current: HmacSha256,
    previous: Option<HmacSha256>,
}

impl std::fmt::Debug for SessionSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionSigner(…)")
    }
}

impl SessionSigner {
    /// A signer with one secret and no previous one.
    pub fn new(secret: &[u8]) -> Self {
        Self::with_previous(secret, None)
    }

    pub fn with_previous(current: &[u8], previous: Option<&[u8]>) -> Self {
        // The keyed state is computed once here, not per token.
        let mac =
            |secret| HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
        SessionSigner {
            current: mac(current),
            previous: previous.map(mac),
        }
    }

    pub fn sign(&self, claims: &SessionClaims) -> String {
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialize"));
        let mut mac = self.current.clone();
        mac.update(body.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{body}.{signature}")
    }

    /// Checks signature and expiry; touches no database.
    pub fn verify(&self, token: &str, now_unix: i64) -> Result<SessionClaims, SessionError> {
        let (body, signature) = token.split_once('.').ok_or(SessionError::Invalid)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| SessionError::Invalid)?;
        // verify_slice compares in constant time.
        let signed_by = |mac: &HmacSha256| {
            let mut mac = mac.clone();
            mac.update(body.as_bytes());
            mac.verify_slice(&signature).is_ok()
        };
        if !signed_by(&self.current) && !self.previous.as_ref().is_some_and(signed_by) {
            return Err(SessionError::Invalid);
        }
        let json = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| SessionError::Invalid)?;
        let claims: SessionClaims =
            serde_json::from_slice(&json).map_err(|_| SessionError::Invalid)?;
        if claims.expires_at <= now_unix {
            return Err(SessionError::Expired);
        }
        Ok(claims)
    }
}

/// The signer every request uses, replaced whole when the secrets change, so a
/// request sees either the old pair or the new one, never a mix.
#[derive(Debug)]
pub struct SharedSigner(RwLock<Arc<SessionSigner>>);

impl SharedSigner {
    pub fn new(signer: SessionSigner) -> Self {
        SharedSigner(RwLock::new(Arc::new(signer)))
    }

    pub fn get(&self) -> Arc<SessionSigner> {
        self.0
            .read()
            .expect("no panics while holding the lock")
            .clone()
    }

    pub fn replace(&self, signer: SessionSigner) {
        *self.0.write().expect("no panics while holding the lock") = Arc::new(signer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(ex: i64) -> SessionClaims {
        SessionClaims {
            tenant_id: "ten_1".into(),
            widget_id: "wgt_1".into(),
            key_id: "key_1".into(),
            key_generation: 1,
            visitor_id: "v1".into(),
            origin: "http://127.0.0.1:8788".into(),
            scopes: Scopes::from_stored("chat usage:write"),
            expires_at: ex,
        }
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let signer = SessionSigner::new(b"secret");
        let token = signer.sign(&claims(100));
        assert_eq!(signer.verify(&token, 99), Ok(claims(100)));
        assert_eq!(signer.verify(&token, 100), Err(SessionError::Expired));
    }

    #[test]
    fn tampered_or_foreign_tokens_are_invalid() {
        let signer = SessionSigner::new(b"secret");
        let token = signer.sign(&claims(100));
        let forged_body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(9_999)).unwrap());
        let forged = format!("{forged_body}.{}", token.split_once('.').unwrap().1);
        assert_eq!(signer.verify(&forged, 0), Err(SessionError::Invalid));
        let other = SessionSigner::new(b"other");
        assert_eq!(other.verify(&token, 0), Err(SessionError::Invalid));
        assert_eq!(signer.verify("garbage", 0), Err(SessionError::Invalid));
    }

    #[test]
    fn after_a_rotation_old_tokens_verify_and_new_ones_use_the_new_secret() {
        let old = SessionSigner::new(b"old");
        let old_token = old.sign(&claims(100));
        let rotated = SessionSigner::with_previous(b"new", Some(b"old"));
        assert_eq!(rotated.verify(&old_token, 0), Ok(claims(100)));
        let new_token = rotated.sign(&claims(100));
        assert_eq!(
            SessionSigner::new(b"new").verify(&new_token, 0),
            Ok(claims(100))
        );
        assert_eq!(old.verify(&new_token, 0), Err(SessionError::Invalid));
        let rotated_again = SessionSigner::with_previous(b"newer", Some(b"new"));
        assert_eq!(
            rotated_again.verify(&old_token, 0),
            Err(SessionError::Invalid)
        );
    }
}
