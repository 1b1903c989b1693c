//! The operator's master key, kept outside the database, and the sealed form of
//! the secrets the database keeps under it (agents' runtime keys, the server's
//! own secrets): XChaCha20-Poly1305 with a fresh random nonce per value, bound to
//! the place the value is stored in, so a dump of the database alone opens none
//! of them and a sealed value copied to another row does not open either.
//!
//! Stored form: `sealed:v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`. The
//! key id is a short hash of the key (never the key), so a value sealed under
//! another key is a clear error rather than a failed decryption.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::Aead;
use chacha20poly1305::aead::Payload;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

use crate::codec::hex;

/// Bytes of a master key.
pub const KEY_LEN: usize = 32;
/// What marks a sealed value, and the version of its format.
const SEALED_PREFIX: &str = "sealed:v1:";
const NONCE_LEN: usize = 24;
/// Hex characters of a key id: 48 bits tell two keys apart, and say nothing of either.
const KEY_ID_LEN: usize = 12;
/// A key file is one line of hex; anything much longer is not a key file.
const MAX_KEY_FILE_LEN: u64 = 1024;

/// The 256-bit key that seals secrets at rest.
#[derive(Clone)]
pub struct MasterKey {
    cipher: XChaCha20Poly1305,
    id: String,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The id only: it names the key without giving anything of it away.
        write!(f, "MasterKey({})", self.id)
    }
}

/// Why a master key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    #[error("{0} must be {len} hex characters ({KEY_LEN} bytes), e.g. from `openssl rand -hex {KEY_LEN}`", len = KEY_LEN * 2)]
    Malformed(String),
    #[error("cannot read the master key file {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("the master key file {0} may be read by other users (mode {1:o}): run `chmod 600 {0}`")]
    Exposed(PathBuf, u32),
    #[error("cannot create the master key file {0}: {1}")]
    Create(PathBuf, std::io::Error),
}

/// Why a stored secret could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error(
        "the master key does not match the one this database was encrypted with \
         ({place} is sealed under key {sealed_with}; the key given is {given})"
    )]
    WrongKey {
        place: String,
        sealed_with: String,
        given: String,
    },
    #[error(
        "{0} is encrypted and no master key was given: pass --master-key (SITEKIT_MASTER_KEY) \
         or --master-key-file (SITEKIT_MASTER_KEY_FILE)"
    )]
    NoKey(String),
    #[error("{0} does not open under its master key: it was altered or moved from another row")]
    Altered(String),
}

/// Where a secret is stored: sealed into its value, so it opens only there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretPlace<'a> {
    /// `agents.runtime_key` of one agent.
    RuntimeKey { agent_id: &'a str },
    /// `server_secrets.value` of one name.
    ServerSecret { name: &'a str },
    /// A webhook endpoint's signing secret: `webhook_endpoints.secret`, or
    /// (`previous`) the one before its latest rotation, `previous_secret`.
    WebhookSecret {
        endpoint_id: &'a str,
        previous: bool,
    },
}

impl fmt::Display for SecretPlace<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretPlace::RuntimeKey { agent_id } => {
                write!(f, "the runtime key of agent {agent_id}")
            }
            SecretPlace::ServerSecret { name } => write!(f, "the server secret {name}"),
            SecretPlace::WebhookSecret {
                endpoint_id,
                previous,
            } => {
                let which = if *previous { "previous " } else { "" };
                write!(f, "the {which}signing secret of webhook {endpoint_id}")
            }
        }
    }
}

impl SecretPlace<'_> {
    /// The associated data the value is sealed with: table, column and row.
    fn associated_data(&self, key_id: &str) -> String {
        let place = match self {
            SecretPlace::RuntimeKey { agent_id } => format!("agents.runtime_key/{agent_id}"),
            SecretPlace::ServerSecret { name } => format!("server_secrets.value/{name}"),
            SecretPlace::WebhookSecret {
                endpoint_id,
                previous: false,
            } => format!("webhook_endpoints.secret/{endpoint_id}"),
            SecretPlace::WebhookSecret {
                endpoint_id,
                previous: true,
            } => format!("webhook_endpoints.previous_secret/{endpoint_id}"),
        };
        format!("{SEALED_PREFIX}{key_id}:{place}")
    }
}

/// A stored value as found: sealed, or plain text written before secrets were
/// sealed (sealed on the next start with a key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored<'a> {
    Plain(&'a str),
    Sealed { key_id: &'a str, payload: &'a str },
}

impl<'a> Stored<'a> {
    pub fn read(stored: &'a str) -> Stored<'a> {
        match stored
            .strip_prefix(SEALED_PREFIX)
            .and_then(|rest| rest.split_once(':'))
        {
            Some((key_id, payload)) => Stored::Sealed { key_id, payload },
            None => Stored::Plain(stored),
        }
    }
}

impl MasterKey {
    fn from_bytes(bytes: &[u8; KEY_LEN]) -> MasterKey {
        let digest = Sha256::new()
            .chain_update(b"sitekit master key id\0")
            .chain_update(bytes)
            .finalize();
        let mut id = hex(&digest);
        id.truncate(KEY_ID_LEN);
        MasterKey {
            cipher: XChaCha20Poly1305::new(bytes.into()),
            id,
        }
    }

    /// A key from its text form, 64 hex characters; `source` names where the
    /// text came from in the error.
    pub fn parse(text: &str, source: &str) -> Result<MasterKey, MasterKeyError> {
        let text = text.trim();
        let malformed = || MasterKeyError::Malformed(source.to_owned());
        if text.len() != KEY_LEN * 2 || !text.is_ascii() {
            return Err(malformed());
        }
        let mut bytes = [0u8; KEY_LEN];
        for (byte, pair) in bytes.iter_mut().zip(text.as_bytes().chunks(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| malformed())?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| malformed())?;
        }
        Ok(MasterKey::from_bytes(&bytes))
    }

    /// Reads a key file, refusing one that users other than its owner may read.
    pub fn read_file(path: &Path) -> Result<MasterKey, MasterKeyError> {
        let read_error = |error| MasterKeyError::Read(path.to_owned(), error);
        let metadata = std::fs::metadata(path).map_err(read_error)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = metadata.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(MasterKeyError::Exposed(path.to_owned(), mode));
            }
        }
        if metadata.len() > MAX_KEY_FILE_LEN {
            return Err(MasterKeyError::Malformed(path.display().to_string()));
        }
        let text = std::fs::read_to_string(path).map_err(read_error)?;
        MasterKey::parse(&text, &path.display().to_string())
    }

    /// Makes a new random key and writes it to a new file only its owner may
    /// read (mode 0600); an existing file is never overwritten.
    pub fn create_file(path: &Path) -> Result<MasterKey, MasterKeyError> {
        let create_error = |error| MasterKeyError::Create(path.to_owned(), error);
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(create_error)?;
        }
        let bytes: [u8; KEY_LEN] = rand::random();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(create_error)?;
        writeln!(file, "{}", hex(&bytes))
            .and_then(|()| file.sync_all())
            .map_err(create_error)?;
        Ok(MasterKey::from_bytes(&bytes))
    }

    /// A short name of the key, derived from it: safe to print and to store.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `secret` sealed for `place`, in its stored form.
    pub fn seal(&self, secret: &str, place: &SecretPlace<'_>) -> String {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let nonce = XNonce::from(nonce);
        let aad = place.associated_data(&self.id);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: secret.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 seals any message a database column holds");
        let mut payload = nonce.to_vec();
        payload.extend(sealed);
        format!(
            "{SEALED_PREFIX}{}:{}",
            self.id,
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    /// The secret in a value sealed under this key for `place`.
    pub fn open(&self, stored: &str, place: &SecretPlace<'_>) -> Result<String, SealError> {
        let Stored::Sealed { key_id, payload } = Stored::read(stored) else {
            return Err(SealError::Altered(place.to_string()));
        };
        if key_id != self.id {
            return Err(SealError::WrongKey {
                place: place.to_string(),
                sealed_with: key_id.to_owned(),
                given: self.id.clone(),
            });
        }
        let altered = || SealError::Altered(place.to_string());
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| altered())?;
        if payload.len() < NONCE_LEN {
            return Err(altered());
        }
        let (nonce, sealed) = payload.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| altered())?;
        let aad = place.associated_data(&self.id);
        let secret = self
            .cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| altered())?;
        String::from_utf8(secret).map_err(|_| altered())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const OTHER: &str = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const AGENT: SecretPlace<'static> = SecretPlace::RuntimeKey { agent_id: "agt_1" };

    fn key(text: &str) -> MasterKey {
        MasterKey::parse(text, "test").unwrap()
    }

    #[test]
    fn a_sealed_value_opens_under_its_key_and_place_only() {
        let sealed = key(KEY).seal("lf-runtime-key", &AGENT);
        assert!(!sealed.contains("lf-runtime-key"));
        assert_eq!(key(KEY).open(&sealed, &AGENT).unwrap(), "lf-runtime-key");
        let moved = SecretPlace::RuntimeKey { agent_id: "agt_2" };
        assert_eq!(
            key(KEY).open(&sealed, &moved),
            Err(SealError::Altered(moved.to_string()))
        );
        assert!(matches!(
            key(OTHER).open(&sealed, &AGENT),
            Err(SealError::WrongKey { .. })
        ));
    }

    #[test]
    fn each_sealing_draws_a_new_nonce() {
        let master = key(KEY);
        assert_ne!(master.seal("same", &AGENT), master.seal("same", &AGENT));
    }

    #[test]
    fn a_flipped_byte_is_refused() {
        let sealed = key(KEY).seal("lf-runtime-key", &AGENT);
        // A character inside the ciphertext, not the last one's unused bits.
        let (head, rest) = sealed.split_at(sealed.len() - 10);
        let (middle, tail) = rest.split_at(1);
        let flipped = format!("{head}{}{tail}", if middle == "A" { "B" } else { "A" });
        assert_eq!(
            key(KEY).open(&flipped, &AGENT),
            Err(SealError::Altered(AGENT.to_string()))
        );
    }

    #[test]
    fn the_stored_form_names_its_version_and_key_but_not_the_key() {
        let master = key(KEY);
        let sealed = master.seal("x", &AGENT);
        assert_eq!(
            Stored::read(&sealed),
            Stored::Sealed {
                key_id: master.id(),
                payload: sealed.rsplit(':').next().unwrap()
            }
        );
        assert!(sealed.starts_with("sealed:v1:"));
        assert!(!sealed.contains(&KEY[..16]));
        assert_eq!(Stored::read("sk-plain"), Stored::Plain("sk-plain"));
        assert_eq!(format!("{master:?}"), format!("MasterKey({})", master.id()));
    }

    #[test]
    fn only_64_hex_characters_make_a_key() {
        for bad in [
            "",
            "abc",
            &KEY[..63],
            &format!("{KEY}00"),
            &KEY.replace('0', "g"),
        ] {
            assert!(MasterKey::parse(bad, "--master-key").is_err(), "{bad}");
        }
        assert_eq!(
            key(&format!("{}\n", KEY.to_uppercase())).id(),
            key(KEY).id()
        );
    }
}
