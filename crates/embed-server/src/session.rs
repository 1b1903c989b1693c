//! Stateless session tokens: HMAC-SHA256 over compact JSON claims, so any node can
//! verify one without touching the database.
//!
//! Token = base64url(claims JSON) "." base64url(HMAC-SHA256(secret, claims part)).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// What a session token vouches for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    /// Tenant id.
    pub tn: String,
    /// Widget id.
    pub wg: String,
    /// Key id and the key's generation when the session was minted.
    pub ky: String,
    pub kg: i64,
    /// Visitor id.
    pub vi: String,
    /// The origin the session was minted for.
    pub or: String,
    /// Scopes, space separated.
    pub sc: String,
    /// Expiry, Unix seconds.
    pub ex: i64,
}

impl SessionClaims {
    pub fn has_scope(&self, scope: &str) -> bool {
        crate::scopes::includes(&self.sc, scope)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("the session token is malformed or its signature is wrong")]
    Invalid,
    #[error("the session has expired")]
    Expired,
}

/// Signs and verifies session tokens with the server's signing secret.
#[derive(Clone)]
pub struct SessionSigner {
    secret: Vec<u8>,
}

impl std::fmt::Debug for SessionSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionSigner(…)")
    }
}

impl SessionSigner {
    pub fn new(secret: Vec<u8>) -> Self {
        SessionSigner { secret }
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.secret).expect("HMAC takes keys of any length")
    }

    pub fn sign(&self, claims: &SessionClaims) -> String {
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialize"));
        let mut mac = self.mac();
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
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        // verify_slice compares in constant time.
        mac.verify_slice(&signature)
            .map_err(|_| SessionError::Invalid)?;
        let json = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| SessionError::Invalid)?;
        let claims: SessionClaims =
            serde_json::from_slice(&json).map_err(|_| SessionError::Invalid)?;
        if claims.ex <= now_unix {
            return Err(SessionError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(ex: i64) -> SessionClaims {
        SessionClaims {
            tn: "ten_1".into(),
            wg: "wgt_1".into(),
            ky: "key_1".into(),
            kg: 1,
            vi: "v1".into(),
            or: "http://127.0.0.1:8788".into(),
            sc: "chat usage:write".into(),
            ex,
        }
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let signer = SessionSigner::new(b"secret".to_vec());
        let token = signer.sign(&claims(100));
        assert_eq!(signer.verify(&token, 99), Ok(claims(100)));
        assert_eq!(signer.verify(&token, 100), Err(SessionError::Expired));
    }

    #[test]
    fn tampered_or_foreign_tokens_are_invalid() {
        let signer = SessionSigner::new(b"secret".to_vec());
        let token = signer.sign(&claims(100));
        let forged_body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(9_999)).unwrap());
        let forged = format!("{forged_body}.{}", token.split_once('.').unwrap().1);
        assert_eq!(signer.verify(&forged, 0), Err(SessionError::Invalid));
        let other = SessionSigner::new(b"other".to_vec());
        assert_eq!(other.verify(&token, 0), Err(SessionError::Invalid));
        assert_eq!(signer.verify("garbage", 0), Err(SessionError::Invalid));
    }
}
