//! What the relay benches (`bench_relay.rs`, `bench_cluster.rs`) measure
//! with: a Langflow stand-in on loopback that answers `POST
//! /api/v2/workflows` with an AG-UI stream at once (so what is measured is the
//! relay, not an agent's thinking time), widgets on it, and a client that
//! sends `POST /v1/chat` and reads until the first text.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

use crate::langflow::Langflow;
use crate::sitekit_cli::SitekitCli;

/// The page the benches' widgets allow and their requests come from.
pub const ORIGIN: &str = "https://shop.example.com";
/// What marks the first text of an answer on the wire, both ways.
const FIRST_TEXT: &[u8] = b"TEXT_MESSAGE_CONTENT";
/// Small stacks: the benches start a thread per connection, by the thousand.
const STACK: usize = 64 * 1024;

/// Whether the stand-in finishes its answers or keeps streams open.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    No,
    Yes,
}

/// A Langflow stand-in on loopback: every request gets an AG-UI stream with
/// one text chunk at once, then the end of the run (or, holding, silence until
/// released).
pub struct StandIn {
    pub address: SocketAddr,
    pub url: String,
    /// The streams it holds open: kept as sockets rather than by a waiting
    /// thread each, so ten thousand of them cost no threads and no wake-ups.
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl StandIn {
    pub fn start(hold: Hold) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let held = Arc::new(Mutex::new(Vec::new()));
        let keep = held.clone();
        thread::spawn(move || {
            for socket in listener.incoming().flatten() {
                let keep = keep.clone();
                let _ = thread::Builder::new()
                    .stack_size(STACK)
                    .spawn(move || answer(socket, hold, &keep));
            }
        });
        Ok(StandIn {
            address,
            url: format!("http://{address}"),
            held,
        })
    }

    /// Closes the streams held open.
    pub fn release(&self) {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// A holding stand-in in a process of its own (`cargo xtask stand-in`): the
/// streams it holds open take none of this process's open files, so a bench
/// can hold its limit's worth of client ends. It runs until released.
pub struct HoldingProcess {
    pub url: String,
    child: Child,
    /// Closing it tells the stand-in to exit, closing every stream it holds.
    stdin: Option<ChildStdin>,
}

impl HoldingProcess {
    pub fn start() -> Result<Self> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg("stand-in")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the stand-in process (`xtask stand-in`)")?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().context("the stand-in has no stdout")?;
        let mut url = String::new();
        BufReader::new(stdout).read_line(&mut url)?;
        let url = url.trim().to_owned();
        if !url.starts_with("http://") {
            let _ = child.kill();
            bail!("the stand-in process did not say where it listens (said {url:?})");
        }
        Ok(HoldingProcess { url, child, stdin })
    }

    /// Closes the streams held open: the process exits.
    pub fn release(&mut self) -> Result<()> {
        drop(self.stdin.take());
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for HoldingProcess {
    fn drop(&mut self) {
        if self.stdin.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `cargo xtask stand-in`: a holding stand-in that prints its URL and runs
/// until its standard input closes.
pub fn serve_holding() -> Result<()> {
    let stand_in = StandIn::start(Hold::Yes)?;
    println!("{}", stand_in.url);
    std::io::stdout().flush()?;
    std::io::copy(&mut std::io::stdin(), &mut std::io::sink())?;
    Ok(())
}

fn answer(mut socket: TcpStream, hold: Hold, held: &Mutex<Vec<TcpStream>>) {
    if read_request(&mut socket).is_err() {
        return;
    }
    let frame = |json: &str| format!("data: {json}\n\n");
    let mut body = String::from(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n",
    );
    body += &frame(r#"{"type":"RUN_STARTED","threadId":"t","runId":"r"}"#);
    body += &frame(r#"{"type":"TEXT_MESSAGE_START","messageId":"m","role":"assistant"}"#);
    body += &frame(r#"{"type":"TEXT_MESSAGE_CONTENT","messageId":"m","delta":"Hello"}"#);
    if hold == Hold::No {
        body += &frame(r#"{"type":"TEXT_MESSAGE_END","messageId":"m"}"#);
        body += &frame(r#"{"type":"RUN_FINISHED","threadId":"t","runId":"r"}"#);
    }
    if socket.write_all(body.as_bytes()).is_err() || hold == Hold::No {
        return;
    }
    held.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(socket);
}

/// Reads a request's headers and its Content-Length body.
fn read_request(socket: &mut TcpStream) -> Result<()> {
    let mut request = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        let read = socket.read(&mut buffer)?;
        if read == 0 {
            bail!("the client closed before its request was complete");
        }
        request.extend_from_slice(&buffer[..read]);
        let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0);
        if request.len() >= end + 4 + length {
            return Ok(());
        }
    }
}

/// A Langflow agent on the stand-in and a widget allowed on [`ORIGIN`]; returns
/// the widget's publishable key.
pub fn widget_on(cli: &SitekitCli, runtime_url: &str) -> Result<String> {
    let runtime = Langflow {
        url: runtime_url.to_owned(),
        key: "bench".into(),
    };
    let tenant = cli.create_tenant("Bench")?;
    let agent = cli.create_langflow_agent(&tenant, "Stand-in", &runtime, "bench-flow")?;
    Ok(cli
        .create_widget(&agent, ORIGIN, "Relay bench")?
        .publishable_key)
}

/// The request a relay makes to Langflow, sent directly.
pub fn runtime_request(to: SocketAddr) -> String {
    let body = r#"{"flow_id":"bench-flow","input_value":"hello","session_id":"s","mode":"stream","stream_protocol":"agui"}"#;
    post(to, "/api/v2/workflows", &[("x-api-key", "bench")], body)
}

pub fn chat_request(to: SocketAddr, token: &str, run: usize) -> String {
    let body = format!(
        r#"{{"threadId":"bench","runId":"run-{run}","messages":[{{"id":"m{run}","role":"user","content":"hello"}}]}}"#
    );
    let bearer = format!("Bearer {token}");
    post(
        to,
        "/v1/chat",
        &[("Authorization", &bearer), ("Origin", ORIGIN)],
        &body,
    )
}

fn post(to: SocketAddr, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut request = format!("POST {path} HTTP/1.1\r\nHost: {to}\r\nConnection: close\r\n");
    for (name, value) in headers {
        let _ = write!(request, "{name}: {value}\r\n");
    }
    let _ = write!(
        request,
        "Content-Type: application/json\r\nAccept: text/event-stream\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    request
}

/// Sends `request` on a new connection and reads until the first text chunk;
/// returns how long that took and the still open connection.
pub fn first_text(to: SocketAddr, request: &str) -> Result<(Duration, TcpStream)> {
    let started = Instant::now();
    let mut stream = TcpStream::connect(to)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(request.as_bytes())?;
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let read = stream
            .read(&mut buffer)
            .with_context(|| format!("waiting for the first text from {to}"))?;
        if read == 0 {
            bail!(
                "{to} closed the stream before any text: {}",
                String::from_utf8_lossy(&seen)
            );
        }
        seen.extend_from_slice(&buffer[..read]);
        if seen.windows(FIRST_TEXT.len()).any(|w| w == FIRST_TEXT) {
            return Ok((started.elapsed(), stream));
        }
    }
}

/// `count` chat streams, each open and past its first text, opened by
/// `parallel` threads at a time; `request(i)` says where stream `i` goes and
/// what it sends. The streams come back in the order of `i`.
pub fn open_streams(
    count: usize,
    parallel: usize,
    request: impl Fn(usize) -> (SocketAddr, String) + Sync,
) -> Result<Vec<TcpStream>> {
    let next = AtomicUsize::new(0);
    let opener = || -> Result<Vec<(usize, TcpStream)>> {
        let mut opened = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            if index >= count {
                return Ok(opened);
            }
            let (to, text) = request(index);
            let (_, stream) =
                first_text(to, &text).with_context(|| format!("opening chat stream {index}"))?;
            opened.push((index, stream));
        }
    };
    let mut streams = thread::scope(|scope| {
        let openers = (0..parallel.min(count))
            .map(|_| {
                thread::Builder::new()
                    .stack_size(STACK)
                    .spawn_scoped(scope, opener)
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        let mut all = Vec::with_capacity(count);
        for handle in openers {
            all.extend(
                handle
                    .join()
                    .map_err(|_| anyhow!("a stream-opening thread panicked"))??,
            );
        }
        Ok::<_, anyhow::Error>(all)
    })?;
    streams.sort_by_key(|(index, _)| *index);
    Ok(streams.into_iter().map(|(_, stream)| stream).collect())
}
