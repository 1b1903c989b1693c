//! Incremental Server-Sent Events decoder (the WHATWG `text/event-stream` rules),
//! linear and bounded.
//!
//! Bytes arrive in arbitrary chunks: a line, a UTF-8 character or a `\r\n` may be
//! split across reads, so only complete lines are ever decoded. Each byte is
//! looked at once, as it arrives: only the line in progress is kept, never
//! rescanned. A line, or an event's data, over the decoder's limit is refused
//! rather than kept, so a peer that never ends a line costs at most the limit.

/// The limit [`SseDecoder::new`] sets on a line and on an event's data: far
/// above any real event, small enough that a stream without line ends costs
/// little.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 256 * 1024;

/// One dispatched SSE event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseFrame {
    pub event: Option<String>,
    pub id: Option<String>,
    pub data: String,
}

/// A line, or an event's data, was over the decoder's limit (in bytes). The
/// decoder ignores the rest of that stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameTooLarge {
    pub limit: usize,
}

impl std::fmt::Display for FrameTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "an SSE line or event over {} bytes", self.limit)
    }
}

impl std::error::Error for FrameTooLarge {}

/// Feed it bytes with [`SseDecoder::push`]; it returns the events completed so
/// far, and [`FrameTooLarge`] once, if the stream passes its limit.
#[derive(Debug)]
pub struct SseDecoder {
    limit: usize,
    /// The line in progress, without its end: at most `limit` bytes.
    line: Vec<u8>,
    /// The last byte was a `\r`, so a `\n` right after it ends no other line.
    after_cr: bool,
    frame: SseFrame,
    has_data: bool,
    /// The limit was passed: nothing more is decoded.
    failed: bool,
    /// Bytes looked at for line ends, over all pushes.
    #[cfg(test)]
    scanned: usize,
}

impl Default for SseDecoder {
    fn default() -> Self {
        Self::new()
    }
}

type Decoded = Result<SseFrame, FrameTooLarge>;

impl SseDecoder {
    /// A decoder with the [`DEFAULT_MAX_FRAME_BYTES`] limit.
    pub fn new() -> Self {
        Self::with_limit(DEFAULT_MAX_FRAME_BYTES)
    }

    /// A decoder that refuses a line, or an event's data, over `limit` bytes.
    pub fn with_limit(limit: usize) -> Self {
        SseDecoder {
            limit,
            line: Vec::new(),
            after_cr: false,
            frame: SseFrame::default(),
            has_data: false,
            failed: false,
            #[cfg(test)]
            scanned: 0,
        }
    }

    /// Adds a chunk of the body and returns every event it completed, then
    /// [`FrameTooLarge`] if the chunk passed the limit.
    pub fn push(&mut self, mut chunk: &[u8]) -> Vec<Decoded> {
        let mut decoded = Vec::new();
        while !self.failed && !chunk.is_empty() {
            if std::mem::take(&mut self.after_cr) && chunk[0] == b'\n' {
                chunk = &chunk[1..];
                continue;
            }
            let end = chunk.iter().position(|&b| b == b'\n' || b == b'\r');
            let part = &chunk[..end.unwrap_or(chunk.len())];
            #[cfg(test)]
            {
                self.scanned += part.len() + usize::from(end.is_some());
            }
            if self.line.len() + part.len() > self.limit {
                self.fail(&mut decoded);
                break;
            }
            self.line.extend_from_slice(part);
            let Some(end) = end else { break };
            self.after_cr = chunk[end] == b'\r';
            chunk = &chunk[end + 1..];
            // Taken and given back, so the line's buffer is allocated once.
            let line = std::mem::take(&mut self.line);
            let complete = self.complete_line(&line);
            self.line = line;
            self.line.clear();
            match complete {
                Ok(Some(frame)) => decoded.push(Ok(frame)),
                Ok(None) => {}
                Err(()) => self.fail(&mut decoded),
            }
        }
        decoded
    }

    /// Gives up on the stream: reports the limit once and lets go of what was kept.
    fn fail(&mut self, decoded: &mut Vec<Decoded>) {
        self.failed = true;
        self.line = Vec::new();
        self.frame = SseFrame::default();
        decoded.push(Err(FrameTooLarge { limit: self.limit }));
    }

    /// One complete line; an empty one dispatches the event. Err: the event's
    /// data would pass the limit.
    fn complete_line(&mut self, line: &[u8]) -> Result<Option<SseFrame>, ()> {
        if line.is_empty() {
            if !std::mem::take(&mut self.has_data) {
                self.frame = SseFrame::default();
                return Ok(None);
            }
            let mut frame = std::mem::take(&mut self.frame);
            frame.data.pop(); // the `\n` after the last data line
            return Ok(Some(frame));
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(0) => return Ok(None), // a comment, e.g. a keep-alive
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        let text = || String::from_utf8_lossy(value);
        match field {
            b"data" => {
                // The data as dispatched: earlier lines with their `\n`, and this
                // one as text (a byte that is not UTF-8 becomes three, U+FFFD),
                // so at most `limit` bytes are ever dispatched; a line is at most
                // `limit` bytes, so this holds at most four times that until
                // `fail` lets go of it.
                self.frame.data.push_str(&text());
                if self.frame.data.len() > self.limit {
                    return Err(());
                }
                self.frame.data.push('\n');
                self.has_data = true;
            }
            b"event" => self.frame.event = Some(text().into_owned()),
            b"id" => self.frame.id = Some(text().into_owned()),
            _ => {}
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(body: &[u8], piece: usize) -> Vec<SseFrame> {
        let mut decoder = SseDecoder::new();
        body.chunks(piece)
            .flat_map(|c| decoder.push(c))
            .map(|frame| frame.unwrap())
            .collect()
    }

    #[test]
    fn events_survive_any_chunking_including_split_crlf_and_utf8() {
        let body = "id: 1\r\ndata: {\"delta\":\"Grüße\"}\r\n\r\n: keep-alive\r\n\r\nevent: x\ndata: a\ndata: b\n\n";
        let expected = vec![
            SseFrame {
                event: None,
                id: Some("1".into()),
                data: "{\"delta\":\"Grüße\"}".into(),
            },
            SseFrame {
                event: Some("x".into()),
                id: None,
                data: "a\nb".into(),
            },
        ];
        for piece in 1..body.len() {
            assert_eq!(
                decode_in_pieces(body.as_bytes(), piece),
                expected,
                "piece {piece}"
            );
        }
    }

    #[test]
    fn an_unfinished_event_is_not_dispatched() {
        assert!(decode_in_pieces(b"data: half", 4).is_empty());
    }

    #[test]
    fn lone_carriage_returns_end_lines_as_soon_as_they_arrive() {
        let mut decoder = SseDecoder::new();
        assert!(decoder.push(b"data: a\r").is_empty());
        assert_eq!(
            decoder.push(b"\r"),
            vec![Ok(SseFrame {
                data: "a".into(),
                ..SseFrame::default()
            })]
        );
        assert!(decoder.push(b"\n").is_empty(), "no third, empty line");
    }

    #[test]
    fn a_huge_line_fed_a_byte_at_a_time_is_refused_at_the_limit_and_never_kept() {
        let limit = 1_024;
        let mut decoder = SseDecoder::with_limit(limit);
        let mut refusals = 0;
        for _ in 0..1_000_000 {
            for decoded in decoder.push(b"x") {
                assert_eq!(decoded, Err(FrameTooLarge { limit }));
                refusals += 1;
            }
            assert!(
                decoder.line.len() <= limit,
                "{} bytes kept",
                decoder.line.len()
            );
        }
        assert_eq!(refusals, 1, "the limit is reported once");
        assert_eq!(decoder.line.capacity(), 0, "the line is let go");
        assert_eq!(
            decoder.scanned,
            limit + 1,
            "nothing is read after the refusal"
        );
        assert!(decoder.push(b"\n\ndata: late\n\n").is_empty());
    }

    #[test]
    fn each_byte_is_scanned_once_however_the_body_is_split() {
        let line = "x".repeat(2 * 1024 * 1024);
        let body = format!(": comment\r\nevent: big\ndata: {line}\r\n\r\n");
        for piece in [1, 7, 4096, body.len()] {
            let mut decoder = SseDecoder::with_limit(4 * 1024 * 1024);
            let frames: Vec<Decoded> = body
                .as_bytes()
                .chunks(piece)
                .flat_map(|chunk| decoder.push(chunk))
                .collect();
            assert_eq!(frames.len(), 1, "piece {piece}");
            assert_eq!(frames[0].as_ref().unwrap().data.len(), line.len());
            // Every byte but the three `\n`s that only complete a `\r\n`.
            assert_eq!(decoder.scanned, body.len() - 3, "piece {piece}");
        }
    }

    #[test]
    fn an_events_data_over_the_limit_is_refused_even_in_short_lines() {
        let mut decoder = SseDecoder::with_limit(64);
        let body = "data: first\n\n".to_owned() + &"data: 0123456789\n".repeat(8) + "\n";
        let decoded = decoder.push(body.as_bytes());
        assert_eq!(
            decoded,
            vec![
                Ok(SseFrame {
                    data: "first".into(),
                    ..SseFrame::default()
                }),
                Err(FrameTooLarge { limit: 64 }),
            ]
        );
    }

    #[test]
    fn data_is_held_to_the_limit_as_text_after_bytes_that_are_not_utf8_are_replaced() {
        // 20 bytes of 0xFF are 60 bytes of U+FFFD: over a limit of 40 the
        // line itself (26 bytes) is within.
        let mut body = b"data: ".to_vec();
        body.extend([0xFF; 20]);
        body.extend(b"\n\n");
        assert_eq!(
            SseDecoder::with_limit(40).push(&body),
            vec![Err(FrameTooLarge { limit: 40 })]
        );
        let within = SseDecoder::with_limit(60).push(&body);
        assert_eq!(within.len(), 1);
        assert_eq!(within[0].as_ref().map(|frame| frame.data.len()), Ok(60));
    }

    #[test]
    fn a_line_or_an_events_data_of_exactly_the_limit_passes() {
        let frame = |data: &str| {
            Ok(SseFrame {
                data: data.into(),
                ..SseFrame::default()
            })
        };
        // A line of 64 bytes: `data: ` and 58 of data.
        let data = "d".repeat(58);
        let line = format!("data: {data}\n\n");
        assert_eq!(
            SseDecoder::with_limit(64).push(line.as_bytes()),
            vec![frame(&data)]
        );
        assert_eq!(
            SseDecoder::with_limit(63).push(line.as_bytes()),
            vec![Err(FrameTooLarge { limit: 63 })]
        );
        // 58 bytes of data in two lines: 29, the `\n` between them, 28.
        let two_lines = format!("data: {}\ndata: {}\n\n", &data[..29], &data[..28]);
        assert_eq!(
            SseDecoder::with_limit(58).push(two_lines.as_bytes()),
            vec![frame(&format!("{}\n{}", &data[..29], &data[..28]))]
        );
        assert_eq!(
            SseDecoder::with_limit(57).push(two_lines.as_bytes()),
            vec![Err(FrameTooLarge { limit: 57 })]
        );
    }
}
