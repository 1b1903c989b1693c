//! A lean HTTP/1.1 client for the one call a chat makes to a plain-HTTP
//! runtime: a `POST` whose answer streams for as long as the run lasts.
//!
//! Why not the general client: a chat holds its runtime call open for the
//! whole answer, so whatever that call keeps is paid once per open chat. A
//! pooled general client keeps an 8 KB read buffer, an 8 KB write buffer and a
//! dispatch channel per connection; this keeps one read buffer of
//! [`READ_CHUNK`] bytes, sends its request in one write and frees it, and
//! closes the connection when the answer ends (`connection: close`: no pool,
//! so nothing idle either).
//!
//! Everything read is bounded: the response head ([`MAX_HEAD`] bytes,
//! [`MAX_HEADERS`] fields), interim answers, a chunk-size line and trailers; how much body a run
//! may stream is the relay's own bound (`bounds`), checked as events arrive.

use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// What each read asks for: one or two streamed events, usually.
const READ_CHUNK: usize = 2 * 1024;
/// The longest response head accepted (status line and header fields).
const MAX_HEAD: usize = 16 * 1024;
/// The most header fields a response head may have.
const MAX_HEADERS: usize = 64;
/// The longest chunk-size line (a size and its extensions) or trailer field.
const MAX_LINE: usize = 1024;
/// The most trailer fields after the last chunk.
const MAX_TRAILERS: usize = 32;
/// The most interim (`1xx`) answers before the final one.
const MAX_INTERIM: usize = 8;

/// Why a call failed before or while reading the answer, for the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Http1Error(pub String);

fn fail<T>(why: impl Into<String>) -> Result<T, Http1Error> {
    Err(Http1Error(why.into()))
}

/// A request to send: `host` is the `Host` field's value, `target` the path
/// and query. Header values are checked here: a line break in one (a runtime
/// key pasted with a newline) would otherwise start a header of its own.
pub struct Http1Request<'a> {
    pub host: &'a str,
    pub target: &'a str,
    pub headers: &'a [(&'static str, String)],
    pub body: &'a [u8],
}

impl Http1Request<'_> {
    fn encode(&self) -> Result<Vec<u8>, Http1Error> {
        let fields = [("host", self.host), ("path", self.target)]
            .into_iter()
            .chain(
                self.headers
                    .iter()
                    .map(|(name, value)| (*name, value.as_str())),
            );
        for (name, value) in fields {
            if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
                return fail(format!("the {name} holds a line break or NUL"));
            }
        }
        let mut head = format!(
            "POST {} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncontent-length: {}\r\n",
            self.target,
            self.host,
            self.body.len()
        );
        for (name, value) in self.headers {
            head.push_str(name);
            head.push_str(": ");
            head.push_str(value);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        let mut request = head.into_bytes();
        request.extend_from_slice(self.body);
        Ok(request)
    }
}

/// An answer whose head has been read; its body is read as it is polled.
pub struct Http1Response<S> {
    pub status: u16,
    body: Body<S>,
}

impl<S: AsyncRead + Unpin + Send + 'static> Http1Response<S> {
    /// The body's bytes as they arrive. The connection closes when the stream
    /// is dropped, which is how a run is cancelled.
    pub fn into_body(self) -> impl Stream<Item = Result<Bytes, Http1Error>> + Send + 'static {
        futures_util::stream::unfold(self.body, |mut body| async move {
            match body.next_chunk().await {
                Ok(Some(bytes)) => Some((Ok(bytes), body)),
                Ok(None) => None,
                Err(e) => {
                    // One error ends the stream: nothing after it can be trusted.
                    body.framing = Framing::Done;
                    Some((Err(e), body))
                }
            }
        })
    }
}

/// Sends `request` over `io` and reads the answer's head (skipping interim
/// `1xx` answers).
pub async fn post<S>(mut io: S, request: &Http1Request<'_>) -> Result<Http1Response<S>, Http1Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let encoded = request.encode()?;
    io.write_all(&encoded)
        .await
        .map_err(|e| Http1Error(format!("sending the request: {e}")))?;
    io.flush()
        .await
        .map_err(|e| Http1Error(format!("sending the request: {e}")))?;
    drop(encoded);
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let mut interim = 0;
    loop {
        if let Some((status, framing)) = parse_head(&mut buf)? {
            if (100..200).contains(&status) {
                interim += 1;
                if interim > MAX_INTERIM {
                    return fail(format!("more than {MAX_INTERIM} interim answers"));
                }
                continue;
            }
            return Ok(Http1Response {
                status,
                body: Body { io, buf, framing },
            });
        }
        if buf.len() >= MAX_HEAD {
            return fail(format!("the response head is over {MAX_HEAD} bytes"));
        }
        if read_more(&mut io, &mut buf).await? == 0 {
            return fail("the connection closed before a complete response head");
        }
    }
}

/// The status and body framing of a complete head at the start of `buf`,
/// which is then taken off; `None` if the head is not all there yet.
fn parse_head(buf: &mut BytesMut) -> Result<Option<(u16, Framing)>, Http1Error> {
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut fields);
    let length = match response.parse(buf) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return fail(format!("a malformed response head: {e}")),
    };
    let status = response.code.unwrap_or_default();
    let framing = framing(status, response.headers)?;
    let _ = buf.split_to(length);
    Ok(Some((status, framing)))
}

/// How the body's end is known (RFC 9112, section 6.3).
fn framing(status: u16, fields: &[httparse::Header<'_>]) -> Result<Framing, Http1Error> {
    if (100..200).contains(&status) || status == 204 || status == 304 {
        return Ok(Framing::Length(0));
    }
    let mut last_coding = None;
    let mut length: Option<u64> = None;
    for field in fields {
        let value = std::str::from_utf8(field.value)
            .map_err(|_| Http1Error(format!("the {} field is not text", field.name)))?;
        if field.name.eq_ignore_ascii_case("transfer-encoding") {
            if let Some(coding) = value.rsplit(',').map(str::trim).find(|c| !c.is_empty()) {
                last_coding = Some(coding.to_ascii_lowercase());
            }
        } else if field.name.eq_ignore_ascii_case("content-length") {
            let parsed = value
                .trim()
                .parse::<u64>()
                .map_err(|_| Http1Error(format!("a content-length of `{value}`")))?;
            if length.is_some_and(|earlier| earlier != parsed) {
                return fail("two different content-length fields");
            }
            length = Some(parsed);
        }
    }
    Ok(match (last_coding.as_deref(), length) {
        (Some("chunked"), _) => Framing::Chunked(Chunk::Size),
        // Another coding last: the body runs until the connection closes.
        (Some(_), _) => Framing::UntilClose,
        (None, Some(length)) => Framing::Length(length),
        (None, None) => Framing::UntilClose,
    })
}

enum Framing {
    Length(u64),
    Chunked(Chunk),
    UntilClose,
    Done,
}

/// Where a chunked body's reading stands.
#[derive(Clone, Copy)]
enum Chunk {
    Size,
    Data(u64),
    DataEnd,
    Trailers(usize),
}

struct Body<S> {
    io: S,
    buf: BytesMut,
    framing: Framing,
}

impl<S: AsyncRead + Unpin> Body<S> {
    /// The next piece of the body, `None` at its end.
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, Http1Error> {
        loop {
            match self.framing {
                Framing::Done | Framing::Length(0) => return Ok(None),
                Framing::Length(left) => {
                    if !self.buf.is_empty() {
                        let taken = self.take(left);
                        self.framing = Framing::Length(left - taken.len() as u64);
                        return Ok(Some(taken));
                    }
                }
                Framing::UntilClose => {
                    if !self.buf.is_empty() {
                        return Ok(Some(self.buf.split().freeze()));
                    }
                }
                Framing::Chunked(Chunk::Data(left)) => {
                    if !self.buf.is_empty() {
                        let taken = self.take(left);
                        let left = left - taken.len() as u64;
                        self.framing = Framing::Chunked(if left == 0 {
                            Chunk::DataEnd
                        } else {
                            Chunk::Data(left)
                        });
                        return Ok(Some(taken));
                    }
                }
                Framing::Chunked(Chunk::DataEnd) => {
                    if self.buf.len() >= 2 {
                        if &self.buf[..2] != b"\r\n" {
                            return fail("a chunk longer than its size");
                        }
                        let _ = self.buf.split_to(2);
                        self.framing = Framing::Chunked(Chunk::Size);
                        continue;
                    }
                }
                Framing::Chunked(Chunk::Size) => {
                    if let Some(line) = self.line()? {
                        let size = chunk_size(&line)?;
                        self.framing = Framing::Chunked(if size == 0 {
                            Chunk::Trailers(0)
                        } else {
                            Chunk::Data(size)
                        });
                        continue;
                    }
                }
                Framing::Chunked(Chunk::Trailers(seen)) => {
                    if let Some(line) = self.line()? {
                        if line.is_empty() {
                            self.framing = Framing::Done;
                            return Ok(None);
                        }
                        if seen == MAX_TRAILERS {
                            return fail(format!("more than {MAX_TRAILERS} trailer fields"));
                        }
                        self.framing = Framing::Chunked(Chunk::Trailers(seen + 1));
                        continue;
                    }
                }
            }
            if read_more(&mut self.io, &mut self.buf).await? == 0 {
                return match self.framing {
                    Framing::UntilClose => {
                        self.framing = Framing::Done;
                        Ok(None)
                    }
                    _ => fail("the connection closed before the body ended"),
                };
            }
        }
    }

    /// Up to `most` bytes from the buffer, without copying them.
    fn take(&mut self, most: u64) -> Bytes {
        let count = self
            .buf
            .len()
            .min(usize::try_from(most).unwrap_or(usize::MAX));
        self.buf.split_to(count).freeze()
    }

    /// The next CRLF-ended line, taken off the buffer without its CRLF; `None`
    /// if it has not all arrived.
    fn line(&mut self) -> Result<Option<BytesMut>, Http1Error> {
        match self.buf.windows(2).position(|pair| pair == b"\r\n") {
            Some(end) if end <= MAX_LINE => {
                let line = self.buf.split_to(end);
                let _ = self.buf.split_to(2);
                Ok(Some(line))
            }
            Some(_) => fail(format!("a chunk line over {MAX_LINE} bytes")),
            None if self.buf.len() > MAX_LINE => {
                fail(format!("a chunk line over {MAX_LINE} bytes"))
            }
            None => Ok(None),
        }
    }
}

/// A chunk-size line's size: hex digits, then optional `;extensions`.
fn chunk_size(line: &[u8]) -> Result<u64, Http1Error> {
    let digits = line.split(|&b| b == b';').next().unwrap_or_default();
    let digits = digits.trim_ascii();
    if digits.is_empty() || digits.len() > 15 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return fail(format!(
            "a malformed chunk size `{}`",
            String::from_utf8_lossy(&line[..line.len().min(40)])
        ));
    }
    let digits = std::str::from_utf8(digits).expect("hex digits are ASCII");
    Ok(u64::from_str_radix(digits, 16).expect("at most 15 hex digits fit in a u64"))
}

/// Reads what is there into `buf`, making room for [`READ_CHUNK`] more bytes
/// when it is full; the number of bytes read, 0 at the end of the stream.
async fn read_more<S: AsyncRead + Unpin>(
    io: &mut S,
    buf: &mut BytesMut,
) -> Result<usize, Http1Error> {
    if buf.capacity() == buf.len() {
        buf.reserve(READ_CHUNK);
    }
    io.read_buf(buf)
        .await
        .map_err(|e| Http1Error(format!("reading the answer: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;

    /// The request `post` sent and everything it read of `answer`, written in
    /// `pieces` of the given size to exercise every split point.
    async fn exchange(
        answer: &[u8],
        piece: usize,
    ) -> (Vec<u8>, Result<(u16, Vec<u8>), Http1Error>) {
        let (client, mut server) = tokio::io::duplex(64 * 1024);
        let answer = answer.to_vec();
        let writer = tokio::spawn(async move {
            let mut request = vec![0u8; 4096];
            let n = server.read(&mut request).await.unwrap();
            request.truncate(n);
            for piece in answer.chunks(piece.max(1)) {
                // The client stops reading at the first error it finds.
                if server.write_all(piece).await.is_err() {
                    break;
                }
                tokio::task::yield_now().await;
            }
            request
        });
        let headers = [("x-api-key", "secret".to_owned())];
        let request = Http1Request {
            host: "runtime.example:7860",
            target: "/api/v2/workflows?x=1",
            headers: &headers,
            body: b"{\"a\":1}",
        };
        let result = async {
            let response = post(client, &request).await?;
            let status = response.status;
            let mut body = Vec::new();
            let mut chunks = Box::pin(response.into_body());
            while let Some(chunk) = chunks.next().await {
                body.extend_from_slice(&chunk?);
            }
            Ok((status, body))
        }
        .await;
        (writer.await.unwrap(), result)
    }

    const CHUNKED: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
        transfer-encoding: chunked\r\n\r\n6\r\ndata: \r\nB;ext=1\r\n{\"a\":\"b\"}\n\n\r\n0\r\nx-trailer: 1\r\n\r\n";

    #[tokio::test]
    async fn sends_one_request_and_decodes_a_chunked_answer_split_anywhere() {
        for piece in [1, 2, 3, 7, 64, 4096] {
            let (request, result) = exchange(CHUNKED, piece).await;
            assert_eq!(
                String::from_utf8(request).unwrap(),
                "POST /api/v2/workflows?x=1 HTTP/1.1\r\nhost: runtime.example:7860\r\n\
                 connection: close\r\ncontent-length: 7\r\nx-api-key: secret\r\n\r\n{\"a\":1}"
            );
            assert_eq!(
                result,
                Ok((200, b"data: {\"a\":\"b\"}\n\n".to_vec())),
                "pieces of {piece}"
            );
        }
    }

    #[tokio::test]
    async fn reads_length_delimited_and_close_delimited_bodies_and_skips_interim_answers() {
        let length = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 401 Unauthorized\r\ncontent-length: 5\r\n\r\nnope!ignored";
        assert_eq!(exchange(length, 3).await.1, Ok((401, b"nope!".to_vec())));
        let until_close = b"HTTP/1.0 200 OK\r\n\r\nall of it";
        assert_eq!(
            exchange(until_close, 4).await.1,
            Ok((200, b"all of it".to_vec()))
        );
        let no_content = b"HTTP/1.1 204 No Content\r\ncontent-length: 9\r\n\r\n";
        assert_eq!(exchange(no_content, 4).await.1, Ok((204, Vec::new())));
    }

    #[tokio::test]
    async fn a_cut_or_malformed_answer_is_an_error_not_a_short_success() {
        let cases: [(&[u8], &str); 8] = [
            (
                b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nab",
                "closed before the body ended",
            ),
            (
                b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc",
                "closed before the body ended",
            ),
            (
                b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
                "malformed chunk size",
            ),
            (
                b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
                "malformed chunk size",
            ),
            (
                b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nabc\r\n",
                "longer than its size",
            ),
            (
                b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\n",
                "two different",
            ),
            (
                b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
                "content-length of `-1`",
            ),
            (b"HTTP/1.1 2", "before a complete response head"),
        ];
        for (answer, expected) in cases {
            let (_, result) = exchange(answer, 5).await;
            let error = result.expect_err(&String::from_utf8_lossy(answer));
            assert!(
                error.0.contains(expected),
                "{error} for {}",
                String::from_utf8_lossy(answer)
            );
        }
    }

    #[tokio::test]
    async fn an_endless_head_or_chunk_line_is_cut_at_its_bound() {
        let mut long = b"HTTP/1.1 200 OK\r\nx-padding: ".to_vec();
        long.extend(std::iter::repeat_n(b'a', 2 * MAX_HEAD));
        let (_, result) = exchange(&long, 4096).await;
        assert!(result.unwrap_err().0.contains("over 16384 bytes"));

        let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
        for _ in 0..=MAX_HEADERS {
            many.extend_from_slice(b"x-padding: a\r\n");
        }
        many.extend_from_slice(b"\r\n");
        let (_, result) = exchange(&many, 4096).await;
        assert!(result.unwrap_err().0.contains("too many headers"));

        let endless_interim = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(MAX_INTERIM + 1);
        let (_, result) = exchange(&endless_interim, 4096).await;
        assert!(
            result
                .unwrap_err()
                .0
                .contains("more than 8 interim answers")
        );

        let mut line = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1;".to_vec();
        line.extend(std::iter::repeat_n(b'e', 4 * MAX_LINE));
        let (_, result) = exchange(&line, 4096).await;
        assert!(result.unwrap_err().0.contains("chunk line over"));
    }

    #[test]
    fn a_header_value_with_a_line_break_is_refused_before_anything_is_sent() {
        let headers = [("x-api-key", "key\r\nx-admin: yes".to_owned())];
        let request = Http1Request {
            host: "runtime.example",
            target: "/",
            headers: &headers,
            body: b"",
        };
        let error = request.encode().unwrap_err();
        assert_eq!(error.0, "the x-api-key holds a line break or NUL");
    }
}
