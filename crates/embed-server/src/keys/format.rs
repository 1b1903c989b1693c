//! API keys: the `skt_<kind>_<mode>_<random><checksum>` format, generation, parsing
//! and the at-rest hash.
//!
//! The random part is 30 base62 characters (≈ 178 bits); the last 6 characters are
//! the CRC32 of the random part in base62, so a typo is caught before any lookup.

use crate::codec::{BASE62, hex, random_base62};
use sha2::{Digest, Sha256};

const RANDOM_LEN: usize = 30;
const CHECKSUM_LEN: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// Publishable: lives in snippets, bound to one widget and its origins.
    Publishable,
    /// Secret: server-side, every admin scope of a tenant.
    Secret,
    /// Restricted: server-side, only the scopes it lists.
    Restricted,
    /// Operator: the server's operator's, on the operator's API only; made
    /// only by the command line on the server's machine.
    Operator,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Publishable => "pub",
            KeyKind::Secret => "sec",
            KeyKind::Restricted => "rst",
            KeyKind::Operator => "op",
        }
    }

    /// The kind a stored or written code (`pub`, `sec`, `rst`, `op`) names.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pub" => Some(KeyKind::Publishable),
            "sec" => Some(KeyKind::Secret),
            "rst" => Some(KeyKind::Restricted),
            "op" => Some(KeyKind::Operator),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode {
    Live,
    Test,
}

impl KeyMode {
    /// Test mode when a request asks for it, live otherwise.
    pub fn of_test_mode(test_mode: bool) -> Self {
        if test_mode {
            KeyMode::Test
        } else {
            KeyMode::Live
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeyMode::Live => "live",
            KeyMode::Test => "test",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "live" => Some(KeyMode::Live),
            "test" => Some(KeyMode::Test),
            _ => None,
        }
    }
}

/// A key whose shape and checksum are valid (it may still be unknown or revoked).
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedKey {
    pub kind: KeyKind,
    pub mode: KeyMode,
    text: String,
}

impl std::fmt::Debug for ParsedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}…{}", self.display_prefix(), self.last4())
    }
}

/// Why a string is not a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyFormatError {
    #[error("the key is not of the form skt_<kind>_<mode>_<token>")]
    Shape,
    #[error("the key's checksum does not match (is it mistyped or cut off?)")]
    Checksum,
}

impl ParsedKey {
    /// A fresh random key.
    pub fn generate(kind: KeyKind, mode: KeyMode) -> Self {
        let random = random_base62(RANDOM_LEN);
        let text = format!(
            "skt_{}_{}_{random}{}",
            kind.as_str(),
            mode.as_str(),
            checksum(&random)
        );
        ParsedKey { kind, mode, text }
    }

    pub fn parse(text: &str) -> Result<Self, KeyFormatError> {
        let mut parts = text.splitn(4, '_');
        let (Some("skt"), Some(kind), Some(mode), Some(token)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(KeyFormatError::Shape);
        };
        let kind = KeyKind::parse(kind).ok_or(KeyFormatError::Shape)?;
        let mode = KeyMode::parse(mode).ok_or(KeyFormatError::Shape)?;
        if token.len() != RANDOM_LEN + CHECKSUM_LEN
            || !token.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(KeyFormatError::Shape);
        }
        let (random, sum) = token.split_at(RANDOM_LEN);
        if checksum(random) != sum {
            return Err(KeyFormatError::Checksum);
        }
        Ok(ParsedKey {
            kind,
            mode,
            text: text.to_owned(),
        })
    }

    /// The full key. Shown once at creation; for non-publishable keys never stored.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// What is stored and looked up: hex SHA-256 of the whole key.
    pub fn hash(&self) -> String {
        hex(&Sha256::digest(self.text.as_bytes()))
    }

    /// `skt_pub_test_` — safe to show in lists.
    pub fn display_prefix(&self) -> String {
        format!("skt_{}_{}_", self.kind.as_str(), self.mode.as_str())
    }

    /// The last four characters — safe to show in lists.
    pub fn last4(&self) -> &str {
        &self.text[self.text.len() - 4..]
    }
}

fn checksum(random: &str) -> String {
    let mut value = crc32fast::hash(random.as_bytes()) as u64;
    let mut digits = [b'0'; CHECKSUM_LEN];
    for digit in digits.iter_mut().rev() {
        *digit = BASE62[(value % 62) as usize];
        value /= 62;
    }
    String::from_utf8(digits.to_vec()).expect("base62 is ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_back_and_carry_their_kind() {
        let key = ParsedKey::generate(KeyKind::Publishable, KeyMode::Test);
        assert!(key.expose().starts_with("skt_pub_test_"));
        assert_eq!(key.expose().len(), "skt_pub_test_".len() + 36);
        let parsed = ParsedKey::parse(key.expose()).unwrap();
        assert_eq!(parsed.kind, KeyKind::Publishable);
        assert_eq!(parsed.hash(), key.hash());
    }

    #[test]
    fn operator_keys_have_a_kind_of_their_own() {
        let key = ParsedKey::generate(KeyKind::Operator, KeyMode::Live);
        assert!(key.expose().starts_with("skt_op_live_"));
        assert_eq!(
            ParsedKey::parse(key.expose()).unwrap().kind,
            KeyKind::Operator
        );
        assert_eq!(key.display_prefix(), "skt_op_live_");
    }

    #[test]
    fn a_single_mistyped_character_fails_the_checksum() {
        let key = ParsedKey::generate(KeyKind::Secret, KeyMode::Live);
        let mut text = key.expose().to_owned();
        let index = "skt_sec_live_".len() + 5;
        let replacement = if &text[index..=index] == "a" {
            "b"
        } else {
            "a"
        };
        text.replace_range(index..=index, replacement);
        assert_eq!(ParsedKey::parse(&text), Err(KeyFormatError::Checksum));
    }

    #[test]
    fn malformed_keys_are_rejected_by_shape() {
        for text in [
            "",
            "skt_pub_test",
            "skt_xxx_test_abc",
            "sk_pub_test_x",
            "skt_pub_test_!!!",
        ] {
            assert_eq!(ParsedKey::parse(text), Err(KeyFormatError::Shape), "{text}");
        }
    }

    #[test]
    fn debug_output_never_contains_the_secret() {
        let key = ParsedKey::generate(KeyKind::Secret, KeyMode::Live);
        let shown = format!("{key:?}");
        assert!(!shown.contains(&key.expose()["skt_sec_live_".len()..][..20]));
    }
}
