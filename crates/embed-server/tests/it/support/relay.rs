//! A TCP relay in front of a server that a test can cut, as the network or a
//! load balancer in front of a database that fails over does: cut, it closes
//! every connection through it and each new one as it comes; restored, it
//! relays again.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

pub struct Relay {
    pub address: SocketAddr,
    state: Arc<State>,
    accepting: JoinHandle<()>,
}

#[derive(Default)]
struct State {
    cut: AtomicBool,
    live: Mutex<Vec<AbortHandle>>,
}

impl Relay {
    /// A relay to `upstream` (`host:port`) on a port of its own.
    pub async fn start(upstream: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let state = Arc::new(State::default());
        let accepting = tokio::spawn({
            let state = Arc::clone(&state);
            async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if state.cut.load(Ordering::SeqCst) {
                        continue; // Dropped: closed as soon as it came.
                    }
                    let upstream = upstream.clone();
                    let relaying = tokio::spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(&upstream).await {
                            let _ =
                                tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                    state.live.lock().unwrap().push(relaying.abort_handle());
                }
            }
        });
        Relay {
            address,
            state,
            accepting,
        }
    }

    /// `url` (`scheme://user:password@host:port/path`) through the relay.
    pub fn url_for(&self, url: &str) -> String {
        let (before, after) = url.split_once('@').expect("a URL with user@host");
        let path = &after[after.find('/').unwrap_or(after.len())..];
        format!("{before}@{}{path}", self.address)
    }

    /// Closes every connection through the relay and, until
    /// [`Relay::restore`], each new one.
    pub fn cut(&self) {
        self.state.cut.store(true, Ordering::SeqCst);
        for relaying in self.state.live.lock().unwrap().drain(..) {
            relaying.abort();
        }
    }

    pub fn restore(&self) {
        self.state.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.accepting.abort();
        self.cut();
    }
}

/// The `host:port` of a URL like `scheme://user:password@host:port/path`.
pub fn host_and_port(url: &str) -> String {
    let (_, after) = url.split_once('@').expect("a URL with user@host");
    after[..after.find('/').unwrap_or(after.len())].to_owned()
}
