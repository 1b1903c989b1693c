//! Visitor ids the server issues. A visitor is named by a public id (`vis_…`),
//! which is all that usage records, threads, exports and session tokens hold;
//! the browser keeps a credential, `<public id>.<signature>` (an HMAC-SHA256 of
//! the widget and the public id under a server secret), and presents it for its
//! next session. Only the server can make one, so an id that was made up,
//! guessed, read from an export or issued for another widget is not honoured:
//! its bearer becomes a new visitor, with no access to anybody's threads.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::codec::random_base62;

type HmacSha256 = Hmac<Sha256>;

const PREFIX: &str = "vis_";
/// 22 base62 characters: about 131 bits, so public ids never collide.
const RANDOM_LEN: usize = 22;
/// The signature's first 16 bytes (128 bits): as hard to forge as to guess.
const SIGNATURE_BYTES: usize = 16;

/// A visitor of one widget: the id everything stored names, and the credential
/// only its browser holds.
#[derive(Clone, PartialEq, Eq)]
pub struct Visitor {
    pub public_id: String,
    pub credential: String,
}

impl std::fmt::Debug for Visitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The credential continues the visitor's conversations: never print it.
        f.debug_struct("Visitor")
            .field("public_id", &self.public_id)
            .finish_non_exhaustive()
    }
}

/// Issues and checks visitor credentials with one server secret.
#[derive(Clone)]
pub struct VisitorIds {
    mac: HmacSha256,
}

impl std::fmt::Debug for VisitorIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VisitorIds(…)")
    }
}

impl VisitorIds {
    pub fn new(secret: &[u8]) -> Self {
        VisitorIds {
            mac: HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length"),
        }
    }

    /// The visitor `presented` is the credential of, if the server issued it for
    /// `widget_id`; otherwise a new visitor. Never an error: a visitor whose
    /// stored id is stale or damaged must still be able to chat.
    pub fn recognise(&self, widget_id: &str, presented: Option<&str>) -> Visitor {
        presented
            .and_then(|credential| self.verify(widget_id, credential))
            .unwrap_or_else(|| self.issue(widget_id))
    }

    fn issue(&self, widget_id: &str) -> Visitor {
        let public_id = format!("{PREFIX}{}", random_base62(RANDOM_LEN));
        self.visitor(widget_id, public_id)
    }

    fn verify(&self, widget_id: &str, credential: &str) -> Option<Visitor> {
        let (public_id, signature) = credential.split_once('.')?;
        let random = public_id.strip_prefix(PREFIX)?;
        if random.len() != RANDOM_LEN || !random.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        if signature.len() != SIGNATURE_BYTES {
            return None;
        }
        // Compares in constant time.
        self.keyed(widget_id, public_id)
            .verify_truncated_left(&signature)
            .ok()?;
        Some(self.visitor(widget_id, public_id.to_owned()))
    }

    fn visitor(&self, widget_id: &str, public_id: String) -> Visitor {
        let tag = self.keyed(widget_id, &public_id).finalize().into_bytes();
        let signature = URL_SAFE_NO_PAD.encode(&tag[..SIGNATURE_BYTES]);
        Visitor {
            credential: format!("{public_id}.{signature}"),
            public_id,
        }
    }

    /// The MAC over the widget and the public id; widget ids never contain a
    /// newline, so no two pairs share an input.
    fn keyed(&self, widget_id: &str, public_id: &str) -> HmacSha256 {
        let mut mac = self.mac.clone();
        mac.update(widget_id.as_bytes());
        mac.update(b"\n");
        mac.update(public_id.as_bytes());
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_credential_continues_its_visitor_on_its_widget() {
        let ids = VisitorIds::new(b"secret");
        let first = ids.recognise("wgt_1", None);
        assert!(first.public_id.starts_with("vis_"), "{}", first.public_id);
        assert!(
            first
                .credential
                .starts_with(&format!("{}.", first.public_id))
        );
        assert_eq!(ids.recognise("wgt_1", Some(&first.credential)), first);
        assert_ne!(ids.recognise("wgt_1", None).public_id, first.public_id);
    }

    #[test]
    fn made_up_exported_forged_or_foreign_ids_get_a_new_visitor() {
        let ids = VisitorIds::new(b"secret");
        let issued = ids.recognise("wgt_1", None);
        let (public_id, signature) = issued.credential.split_once('.').unwrap();
        let mut flipped = signature.as_bytes().to_vec();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        let forged = format!("{public_id}.{}", String::from_utf8(flipped).unwrap());
        let other_secret = VisitorIds::new(b"other").recognise("wgt_1", None);
        let presented = [
            "visitor-42".to_owned(),
            public_id.to_owned(),
            format!("{public_id}."),
            forged,
            other_secret.credential,
            format!("{public_id}.{signature}A"),
            format!("vis_short.{signature}"),
            String::new(),
        ];
        for presented in &presented {
            let visitor = ids.recognise("wgt_1", Some(presented));
            assert_ne!(visitor.public_id, public_id, "{presented}");
            assert_ne!(&visitor.credential, presented);
        }
        // A credential is good only for the widget it was issued for.
        let elsewhere = ids.recognise("wgt_2", Some(&issued.credential));
        assert_ne!(elsewhere.public_id, issued.public_id);
    }

    #[test]
    fn a_visitor_prints_without_its_credential() {
        let visitor = VisitorIds::new(b"secret").recognise("wgt_1", None);
        let printed = format!("{visitor:?}");
        let signature = visitor.credential.split_once('.').unwrap().1;
        assert!(printed.contains(&visitor.public_id) && !printed.contains(signature));
    }
}
