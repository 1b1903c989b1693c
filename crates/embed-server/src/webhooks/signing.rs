//! Standard Webhooks signing: an endpoint's secret is `whsec_` and the base64
//! of 32 random bytes; each delivery carries `webhook-id`,
//! `webhook-timestamp` (Unix seconds) and `webhook-signature`, `v1,` and the
//! base64 HMAC-SHA256 of `<id>.<timestamp>.<body>` under the secret's bytes.
//! Within a day of a rotation the old secret signs too, space-separated after
//! the new one, so a receiver that still holds the old secret keeps
//! verifying while its owner deploys the new one.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const PREFIX: &str = "whsec_";

/// How many random bytes a secret holds: Standard Webhooks asks for 24 to 64.
const SECRET_BYTES: usize = 32;

/// An endpoint's signing secret. Its `Debug` shows nothing of it, so no log
/// line carries one by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(String);

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret(…)")
    }
}

impl SigningSecret {
    /// A new random secret.
    pub fn generate() -> Self {
        let bytes: [u8; SECRET_BYTES] = rand::random();
        SigningSecret(format!("{PREFIX}{}", STANDARD.encode(bytes)))
    }

    /// A secret as stored (once unsealed); None when it is not one this
    /// server made.
    pub fn from_stored(text: String) -> Option<Self> {
        let valid = text
            .strip_prefix(PREFIX)
            .and_then(|encoded| STANDARD.decode(encoded).ok())
            .is_some_and(|bytes| bytes.len() == SECRET_BYTES);
        valid.then_some(SigningSecret(text))
    }

    /// The text shown once to the endpoint's owner, and stored sealed.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn key(&self) -> Vec<u8> {
        let encoded = self.0.strip_prefix(PREFIX).unwrap_or_default();
        STANDARD.decode(encoded).unwrap_or_default()
    }

    /// One signature, `v1,<base64>`, of `body` sent as `id` at `timestamp`.
    fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.key()).expect("HMAC takes any key");
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// The three headers of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
}

/// The headers for sending `body` as delivery `id` at `timestamp` (Unix
/// seconds): signed by `current`, and by `previous` too while it is valid.
pub fn sign(
    id: &str,
    timestamp: i64,
    body: &[u8],
    current: &SigningSecret,
    previous: Option<&SigningSecret>,
) -> SignedHeaders {
    let mut signature = current.sign(id, timestamp, body);
    if let Some(previous) = previous {
        signature.push(' ');
        signature.push_str(&previous.sign(id, timestamp, body));
    }
    SignedHeaders {
        id: id.to_owned(),
        timestamp: timestamp.to_string(),
        signature,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification's test vectors.
    #[test]
    fn signs_as_the_specification_s_example() {
        let secret = SigningSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into());
        let headers = sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
            &secret,
            None,
        );
        assert_eq!(
            headers.signature,
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_rotated_endpoint_is_signed_by_both_secrets_new_first() {
        let (new, old) = (SigningSecret::generate(), SigningSecret::generate());
        let headers = sign("whd_1", 10, b"{}", &new, Some(&old));
        let parts: Vec<&str> = headers.signature.split(' ').collect();
        assert_eq!(
            parts,
            [new.sign("whd_1", 10, b"{}"), old.sign("whd_1", 10, b"{}")]
        );
        assert_ne!(parts[0], parts[1]);
    }

    #[test]
    fn secrets_are_32_random_bytes_and_never_debug_printed() {
        let secret = SigningSecret::generate();
        assert!(secret.expose().starts_with("whsec_"));
        assert_eq!(secret.key().len(), 32);
        assert_eq!(
            SigningSecret::from_stored(secret.expose().to_owned()),
            Some(secret.clone())
        );
        assert_eq!(SigningSecret::from_stored("whsec_abc".into()), None);
        assert!(!format!("{secret:?}").contains(&secret.expose()[6..]));
    }
}
