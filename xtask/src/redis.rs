//! A private Redis for `cargo xtask cluster`: `redis-server` on 127.0.0.1 and
//! a port of its own, nothing persisted, in which every node counts its rate
//! limits (`sitekit serve --redis-url`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Result, bail};

use crate::processes::Services;
use crate::{cmd, step};

/// Fails, saying what to install, when there is no `redis-server`: checked
/// before the build, so a missing one shows at once.
pub fn ensure_installed() -> Result<()> {
    if cmd::probe("redis-server", &["--version"]).is_none() {
        bail!("redis-server not found on PATH: install it (Debian: apt-get install redis-server)");
    }
    Ok(())
}

/// Starts `redis-server` on 127.0.0.1:`port` and waits until it answers PING;
/// returns its URL.
pub fn start(services: &mut Services, port: u16, log: &Path) -> Result<String> {
    let url = format!("redis://127.0.0.1:{port}");
    step(format!(
        "starting Redis: redis-server on {url}, nothing saved (log: {})",
        log.display()
    ));
    let mut redis = Command::new("redis-server");
    redis
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        // Rate-limit counts only: nothing worth keeping past the run.
        .args(["--save", "", "--appendonly", "no"]);
    services.start("redis", redis, log)?;
    services.wait_until("Redis", Duration::from_secs(15), || pong(port))?;
    Ok(url)
}

/// Whether Redis on `port` answers `PING` with `+PONG`.
fn pong(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut answer = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut answer).is_ok()
        && &answer == b"+PONG\r\n"
}
