//! A closed-loop HTTP/1.1 load generator over `std::net`: N keep-alive connections,
//! one thread each, every one sending the same GET as soon as its previous answer
//! has arrived, for a fixed time after a warm-up; given several servers, the
//! connections go to them in turn. Enough to measure one route of a
//! server we started on loopback without installing `wrk`; bounded in time, so it
//! always stops by itself.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

use crate::processes;

/// A wait longer than this for one answer means the server is stuck, not slow.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// What to send, how often in parallel, and for how long.
pub struct Plan<'a> {
    /// Connection `i` goes to `addresses[i % addresses.len()]`: round-robin
    /// by connection, as a layer-4 load balancer spreads them.
    pub addresses: &'a [SocketAddr],
    pub path: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub connections: usize,
    /// Requests during the warm-up are sent but not counted: connections open,
    /// caches fill and the server's threads wake up first.
    pub warmup: Duration,
    pub duration: Duration,
}

/// What came back during the measured window.
pub struct Outcome {
    /// The latency of every counted request, in ns, sorted.
    pub latencies_ns: Vec<u64>,
    /// Counted answers by HTTP status.
    pub statuses: BTreeMap<u16, u64>,
    pub duration: Duration,
}

impl Outcome {
    pub fn requests(&self) -> u64 {
        self.statuses.values().sum()
    }

    pub fn per_second(&self) -> f64 {
        self.requests() as f64 / self.duration.as_secs_f64()
    }

    /// Adds another run's answers to these, as if one run.
    pub fn absorb(&mut self, other: Outcome) {
        self.latencies_ns.extend(other.latencies_ns);
        self.latencies_ns.sort_unstable();
        for (status, count) in other.statuses {
            *self.statuses.entry(status).or_default() += count;
        }
        self.duration += other.duration;
    }

    /// Answers other than 200, as `"429: 12, 500: 1"`; `None` when there were none.
    pub fn non_ok(&self) -> Option<String> {
        let failed: Vec<String> = self
            .statuses
            .iter()
            .filter(|(status, _)| **status != 200)
            .map(|(status, count)| format!("{status}: {count}"))
            .collect();
        (!failed.is_empty()).then(|| failed.join(", "))
    }
}

/// Runs `plan` and returns what came back; fails if any connection fails.
pub fn run(plan: &Plan) -> Result<Outcome> {
    if plan.addresses.is_empty() {
        bail!("a load plan without a server");
    }
    let requests: Vec<String> = plan
        .addresses
        .iter()
        .map(|address| {
            let mut request = format!("GET {} HTTP/1.1\r\nHost: {address}\r\n", plan.path);
            for (name, value) in plan.headers {
                request.push_str(&format!("{name}: {value}\r\n"));
            }
            request.push_str("\r\n");
            request
        })
        .collect();
    let window = Window::after_warmup(plan.warmup, plan.duration);
    let tallies = thread::scope(|scope| {
        let workers: Vec<_> = (0..plan.connections)
            .map(|index| {
                let server = index % plan.addresses.len();
                let (address, request) = (plan.addresses[server], requests[server].as_bytes());
                scope.spawn(move || connection(address, request, window))
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                worker
                    .join()
                    .map_err(|_| anyhow!("a load connection panicked"))?
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let mut outcome = Outcome {
        latencies_ns: Vec::new(),
        statuses: BTreeMap::new(),
        duration: plan.duration,
    };
    for tally in tallies {
        outcome.latencies_ns.extend(tally.latencies_ns);
        for (status, count) in tally.statuses {
            *outcome.statuses.entry(status).or_default() += count;
        }
    }
    outcome.latencies_ns.sort_unstable();
    Ok(outcome)
}

/// When requests count: those sent from `from` (after a warm-up) until `until`.
#[derive(Clone, Copy)]
pub struct Window {
    pub from: Instant,
    pub until: Instant,
}

impl Window {
    /// `duration` counted, starting `warmup` from now.
    pub fn after_warmup(warmup: Duration, duration: Duration) -> Window {
        let from = Instant::now() + warmup;
        Window {
            from,
            until: from + duration,
        }
    }
}

#[derive(Default)]
struct Tally {
    latencies_ns: Vec<u64>,
    statuses: BTreeMap<u16, u64>,
}

/// One keep-alive connection's loop. A request counts when it was sent inside the
/// window; the last one may finish just after it, which over thousands of requests
/// per connection is noise.
fn connection(address: SocketAddr, request: &[u8], window: Window) -> Result<Tally> {
    let mut tally = Tally::default();
    let mut stream = connect(address, ANSWER_TIMEOUT)?;
    let mut body = Vec::new();
    loop {
        let sent = Instant::now();
        if sent >= window.until {
            return Ok(tally);
        }
        if processes::interrupted() {
            bail!("interrupted");
        }
        stream
            .get_mut()
            .write_all(request)
            .with_context(|| format!("sending a request to {address}"))?;
        let answer = read_answer(&mut stream, &mut body)
            .with_context(|| format!("reading an answer from {address}"))?;
        let latency = sent.elapsed();
        if sent >= window.from {
            tally.latencies_ns.push(latency.as_nanos() as u64);
            *tally.statuses.entry(answer.status).or_default() += 1;
        }
        if answer.closes {
            stream = connect(address, ANSWER_TIMEOUT)?;
        }
    }
}

/// A keep-alive connection whose reads give up after `timeout`.
pub fn connect(address: SocketAddr, timeout: Duration) -> Result<BufReader<TcpStream>> {
    let stream = TcpStream::connect_timeout(&address, timeout)
        .with_context(|| format!("connecting to {address}"))?;
    // Without it, Nagle's algorithm holds small requests back and we would measure
    // delayed ACKs rather than the server.
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(timeout))?;
    Ok(BufReader::new(stream))
}

#[derive(Debug, PartialEq)]
pub struct Answer {
    pub status: u16,
    /// The server will close the connection after this answer.
    pub closes: bool,
}

/// Reads one response (head and a `Content-Length` body, into `body`), leaving the
/// reader at the start of the next one.
pub fn read_answer(reader: &mut impl BufRead, body: &mut Vec<u8>) -> Result<Answer> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        bail!("the server closed the connection");
    }
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| anyhow!("malformed status line {:?}", line.trim_end()))?;
    let mut length = None;
    let mut closes = false;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            bail!("the connection ended inside a response head");
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            bail!("malformed header line {header:?}");
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .parse::<u64>()
                    .map_err(|_| anyhow!("bad Content-Length {value:?}"))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            bail!(
                "Transfer-Encoding {value} answers are not supported; this route sends Content-Length"
            );
        } else if name.eq_ignore_ascii_case("connection") {
            closes = value.eq_ignore_ascii_case("close");
        }
    }
    let length = length.ok_or_else(|| anyhow!("an answer without Content-Length"))?;
    body.clear();
    let read = reader.by_ref().take(length).read_to_end(body)?;
    if read as u64 != length {
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof))
            .context("the connection ended inside a response body");
    }
    Ok(Answer { status, closes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_keep_alive_answers_one_after_another() {
        let wire = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nvary: origin\r\n\r\n{}\
                     HTTP/1.1 429 Too Many Requests\r\nContent-Length: 5\r\nConnection: close\r\n\r\nslow!";
        let mut reader = &wire[..];
        let mut body = Vec::new();
        let first = read_answer(&mut reader, &mut body).unwrap();
        assert_eq!(
            first,
            Answer {
                status: 200,
                closes: false
            }
        );
        assert_eq!(body, b"{}");
        let second = read_answer(&mut reader, &mut body).unwrap();
        assert_eq!(
            second,
            Answer {
                status: 429,
                closes: true
            }
        );
        assert_eq!(body, b"slow!");
        assert!(reader.is_empty());
    }

    #[test]
    fn a_truncated_or_unframed_answer_is_an_error() {
        let mut body = Vec::new();
        let truncated = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort";
        assert!(read_answer(&mut &truncated[..], &mut body).is_err());
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
        assert!(read_answer(&mut &chunked[..], &mut body).is_err());
        assert!(read_answer(&mut &b""[..], &mut body).is_err());
    }

    #[test]
    fn counts_answers_that_were_not_ok() {
        let outcome = Outcome {
            latencies_ns: vec![1, 2, 3, 4],
            statuses: BTreeMap::from([(200, 2), (429, 1), (500, 1)]),
            duration: Duration::from_secs(2),
        };
        assert_eq!(outcome.requests(), 4);
        assert_eq!(outcome.per_second(), 2.0);
        assert_eq!(outcome.non_ok().as_deref(), Some("429: 1, 500: 1"));
        let all_ok = Outcome {
            statuses: BTreeMap::from([(200, 4)]),
            ..outcome
        };
        assert_eq!(all_ok.non_ok(), None);
    }
}
