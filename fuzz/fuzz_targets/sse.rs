//! The SDK's SSE decoder on any body, however the network cuts it: it never
//! panics, it decodes the same frames whether the body arrives at once, a byte
//! at a time or in chunks the input chooses, and a frame holds only text that
//! was in the body.
//!
//! Input: one byte that seeds the chunk sizes, then the body.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sitekit_sdk::sse::{SseDecoder, SseFrame};

fuzz_target!(|input: &[u8]| {
    let Some((&seed, body)) = input.split_first() else {
        return;
    };
    let at_once = decode([body]);
    assert_eq!(decode(body.chunks(1)), at_once, "byte by byte");
    assert_eq!(decode(chunks(body, seed)), at_once, "in chunks");

    // Lines are decoded whole, so every line of a frame is a line of the body
    // (invalid UTF-8 shown as U+FFFD in both).
    let text = String::from_utf8_lossy(body);
    for frame in &at_once {
        for line in frame.data.split('\n') {
            assert!(text.contains(line), "data not in the body: {line:?}");
        }
        for field in [&frame.event, &frame.id].into_iter().flatten() {
            assert!(
                !field.contains(['\n', '\r']),
                "a field spans lines: {field:?}"
            );
            assert!(
                text.contains(field.as_str()),
                "field not in the body: {field:?}"
            );
        }
    }
    // A frame takes at least two line ends: its `data:` line's and the blank
    // line's after it.
    let line_end_bytes = body.iter().filter(|&&byte| matches!(byte, b'\n' | b'\r'));
    assert!(2 * at_once.len() <= line_end_bytes.count());
});

/// The one place that drives the decoder: the frames of `chunks`, pushed in turn.
fn decode<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<SseFrame> {
    let mut decoder = SseDecoder::new();
    chunks
        .into_iter()
        .flat_map(|chunk| decoder.push(chunk))
        .collect()
}

/// `body` cut into pieces of 1 to 32 bytes, their sizes drawn from `seed`.
fn chunks(body: &[u8], seed: u8) -> impl Iterator<Item = &[u8]> {
    let mut state = u32::from(seed) | 0x100;
    let mut rest = body;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        // A xorshift step: cheap, and every seed gives its own sizes.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let (chunk, after) = rest.split_at((state % 32 + 1).min(rest.len() as u32) as usize);
        rest = after;
        Some(chunk)
    })
}
