//! Local TCP ports for the services we start.

use std::net::TcpListener;

use anyhow::{Result, anyhow};

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Fails with a clear message when `port` is taken (e.g. by an earlier demo).
pub fn ensure_free(port: u16, what: &str) -> Result<()> {
    TcpListener::bind(("127.0.0.1", port))
        .map(drop)
        .map_err(|err| {
            anyhow!("127.0.0.1:{port} (for {what}) is not free: {err}; is another demo running?")
        })
}
