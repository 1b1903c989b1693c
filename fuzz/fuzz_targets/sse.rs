//! The SDK's SSE decoder on any body, however the network cuts it: it never
//! panics, it decodes the same frames whether the body arrives at once, a byte
//! at a time or in chunks the input chooses, a frame holds only text that was
//! in the body, no frame's data is over the decoder's limit, and a body past
//! the limit ends with one `FrameTooLarge` after which nothing is decoded.
//!
//! Input: one byte that seeds the chunk sizes, one that sets the limit (the
//! default, or a small one so that bodies of a few bytes reach it), then the
//! body.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sitekit_sdk::sse::{DEFAULT_MAX_FRAME_BYTES, FrameTooLarge, SseDecoder, SseFrame};

fuzz_target!(|input: &[u8]| {
    let [seed, limit, body @ ..] = input else {
        return;
    };
    let limit = match *limit {
        0..128 => DEFAULT_MAX_FRAME_BYTES,
        small => usize::from(small - 127) * 2,
    };
    let decoded = decode(limit, [body]);
    assert_eq!(decode(limit, body.chunks(1)), decoded, "byte by byte");
    assert_eq!(decode(limit, chunks(body, *seed)), decoded, "in chunks");

    // The limit is reported once, last, and only a body that has a line of
    // more than `limit` bytes can pass it.
    let errors = decoded.iter().filter(|item| item.is_err()).count();
    assert!(errors <= 1, "the limit reported {errors} times");
    if errors == 1 {
        assert_eq!(decoded.last(), Some(&Err(FrameTooLarge { limit })));
    }
    let at_once: Vec<&SseFrame> = decoded
        .iter()
        .filter_map(|item| item.as_ref().ok())
        .collect();
    let longest_line = body
        .split(|&byte| matches!(byte, b'\n' | b'\r'))
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0);
    if longest_line > limit {
        assert_eq!(
            errors, 1,
            "a line of {longest_line} bytes passed a limit of {limit}"
        );
    }

    // Lines are decoded whole, so every line of a frame is a line of the body
    // (invalid UTF-8 shown as U+FFFD in both).
    let text = String::from_utf8_lossy(body);
    for frame in &at_once {
        assert!(
            frame.data.len() <= limit,
            "data over the limit: {} bytes",
            frame.data.len()
        );
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

/// The one place that drives the decoder: what it decodes of `chunks`, pushed in turn.
fn decode<'a>(
    limit: usize,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Vec<Result<SseFrame, FrameTooLarge>> {
    let mut decoder = SseDecoder::with_limit(limit);
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
