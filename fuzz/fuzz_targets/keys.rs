//! The server's key parser: whatever string it accepts is a key of the
//! documented format (`skt_<kind>_<mode>_<30 base62><6 base62 CRC32>`, design.md)
//! whose checksum holds; every key built by that format parses back to its
//! kind and mode; one mistyped character or a cut-off key is refused; and a
//! key's `Debug` form never shows its secret part.
//!
//! Input: a candidate key as text; its bytes also build a key by the format.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};
use sitekit_embed_server::keys::{KeyKind, KeyMode, ParsedKey};

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const KINDS: [KeyKind; 3] = [KeyKind::Publishable, KeyKind::Secret, KeyKind::Restricted];
const MODES: [KeyMode; 2] = [KeyMode::Live, KeyMode::Test];

fuzz_target!(|input: &[u8]| {
    if let Ok(text) = std::str::from_utf8(input) {
        accepted_only_in_format(text);
    }
    made_by_the_format(input);
    let generated = ParsedKey::generate(KINDS[byte(input, 0) % 3], MODES[byte(input, 1) % 2]);
    assert_eq!(ParsedKey::parse(generated.expose()), Ok(generated));
});

fn accepted_only_in_format(text: &str) {
    let Ok(key) = ParsedKey::parse(text) else {
        return;
    };
    assert_eq!(key.expose(), text);
    let prefix = format!("skt_{}_{}_", key.kind.as_str(), key.mode.as_str());
    assert_eq!(key.display_prefix(), prefix);
    let token = text
        .strip_prefix(&prefix)
        .expect("a key starts with its prefix");
    assert_eq!(token.len(), 36, "{text:?}");
    assert!(token.bytes().all(|b| BASE62.contains(&b)), "{text:?}");
    let (random, sum) = token.split_at(30);
    assert_eq!(sum, checksum(random), "{text:?}");
    assert!(text.ends_with(key.last4()) && key.last4().len() == 4);
    assert_eq!(key.hash(), hex(&Sha256::digest(text)));
    assert_eq!(ParsedKey::parse(key.expose()), Ok(key.clone()));
    // `Debug` shows the prefix and the last four only: no longer run of the
    // key's characters.
    let shown = format!("{key:?}");
    let longest_run = shown
        .split(|c: char| !c.is_ascii_alphanumeric())
        .map(str::len)
        .max();
    assert!(longest_run <= Some(4), "{shown}");
}

fn made_by_the_format(input: &[u8]) {
    let random: String = (0..30)
        .map(|at| BASE62[byte(input, at) % 62] as char)
        .collect();
    let (kind, mode) = (KINDS[byte(input, 30) % 3], MODES[byte(input, 31) % 2]);
    let text = format!(
        "skt_{}_{}_{random}{}",
        kind.as_str(),
        mode.as_str(),
        checksum(&random)
    );
    let key = ParsedKey::parse(&text).expect("a key in the documented format parses");
    assert_eq!((key.kind, key.mode), (kind, mode));

    let at = byte(input, 32) % text.len();
    let typo = BASE62[byte(input, 33) % 62];
    if text.as_bytes()[at] != typo {
        let mut mistyped = text.clone().into_bytes();
        mistyped[at] = typo;
        let mistyped = String::from_utf8(mistyped).expect("ASCII stays UTF-8");
        assert!(ParsedKey::parse(&mistyped).is_err(), "{mistyped:?}");
    }
    let cut = byte(input, 34) % text.len();
    assert!(
        ParsedKey::parse(&text[..cut]).is_err(),
        "{:?}",
        &text[..cut]
    );
}

/// The input's byte at `at`, or 0 past its end.
fn byte(input: &[u8], at: usize) -> usize {
    usize::from(input.get(at).copied().unwrap_or_default())
}

/// The CRC32 of the random part as 6 base62 digits, most significant first.
fn checksum(random: &str) -> String {
    let mut value = u64::from(crc32fast::hash(random.as_bytes()));
    let mut digits = [0u8; 6];
    for digit in digits.iter_mut().rev() {
        *digit = BASE62[(value % 62) as usize];
        value /= 62;
    }
    String::from_utf8(digits.to_vec()).expect("base62 is ASCII")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
