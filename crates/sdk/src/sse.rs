//! Incremental Server-Sent Events decoder (the WHATWG `text/event-stream` rules).
//!
//! Bytes arrive in arbitrary chunks: a line, a UTF-8 character or a `\r\n` may be
//! split across reads, so only complete lines are ever decoded.

/// One dispatched SSE event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseFrame {
    pub event: Option<String>,
    pub id: Option<String>,
    pub data: String,
}

/// Feed it bytes with [`SseDecoder::push`]; it returns the events completed so far.
#[derive(Debug, Default)]
pub struct SseDecoder {
    pending: Vec<u8>,
    frame: SseFrame,
    has_data: bool,
}

impl SseDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a chunk of the body and returns every event it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseFrame> {
        self.pending.extend_from_slice(chunk);
        let mut frames = Vec::new();
        let mut start = 0;
        let mut i = 0;
        while i < self.pending.len() {
            let byte = self.pending[i];
            if byte != b'\n' && byte != b'\r' {
                i += 1;
                continue;
            }
            // A lone trailing `\r` may be the first half of `\r\n`: wait for more.
            if byte == b'\r' && i + 1 == self.pending.len() {
                break;
            }
            let line = String::from_utf8_lossy(&self.pending[start..i]).into_owned();
            if let Some(frame) = self.line(&line) {
                frames.push(frame);
            }
            i += if byte == b'\r' && self.pending[i + 1] == b'\n' {
                2
            } else {
                1
            };
            start = i;
        }
        self.pending.drain(..start);
        frames
    }

    fn line(&mut self, line: &str) -> Option<SseFrame> {
        if line.is_empty() {
            if !self.has_data {
                self.frame = SseFrame::default();
                return None;
            }
            self.has_data = false;
            let mut frame = std::mem::take(&mut self.frame);
            if frame.data.ends_with('\n') {
                frame.data.pop();
            }
            return Some(frame);
        }
        if line.starts_with(':') {
            return None; // a comment, e.g. a keep-alive
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "data" => {
                self.frame.data.push_str(value);
                self.frame.data.push('\n');
                self.has_data = true;
            }
            "event" => self.frame.event = Some(value.to_owned()),
            "id" => self.frame.id = Some(value.to_owned()),
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(body: &[u8], piece: usize) -> Vec<SseFrame> {
        let mut decoder = SseDecoder::new();
        body.chunks(piece).flat_map(|c| decoder.push(c)).collect()
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
}
