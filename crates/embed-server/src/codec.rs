//! Text forms of random and binary values: random base62 (ids, keys, secrets)
//! and lower-case hex (hashes, key ids).

/// The base62 alphabet, digits first.
pub const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `len` characters from a cryptographically secure generator.
pub fn random_base62(len: usize) -> String {
    (0..len)
        .map(|_| BASE62[rand::random_range(0..BASE62.len())] as char)
        .collect()
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
