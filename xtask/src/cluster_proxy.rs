//! The round-robin proxy in front of `cargo xtask cluster`'s nodes:
//! `tests/cluster/proxy.js` (Node, built-in modules only), which sends each
//! request to the next node whose `GET /readyz` answered 200, as a load
//! balancer would.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::Result;

use crate::processes::Services;
use crate::{http, step};

/// What the proxy asks each node every second; only nodes answering 200 get
/// requests (a draining node answers 503).
const READY_PATH: &str = "/readyz";

/// Starts the proxy on 127.0.0.1:`port` in front of `nodes` (their URLs) and
/// waits until a request through it reaches a node; returns its URL.
pub fn start(
    services: &mut Services,
    root: &Path,
    port: u16,
    nodes: &[String],
    log: &Path,
) -> Result<String> {
    let url = format!("http://127.0.0.1:{port}");
    step(format!(
        "starting proxy: tests/cluster/proxy.js on {url}, round-robin over the nodes that \
         answer GET {READY_PATH} with 200 (log: {})",
        log.display()
    ));
    let mut proxy = Command::new("node");
    proxy
        .current_dir(root)
        .arg(root.join("tests/cluster/proxy.js"))
        .args(arguments(port, nodes));
    services.start("proxy", proxy, log)?;
    services.wait_until("proxy", Duration::from_secs(30), || {
        http::get(&format!("{url}/healthz"), &[]).is_ok_and(|response| response.status == 200)
    })?;
    Ok(url)
}

/// `proxy.js`'s arguments: where it listens, how it checks, the nodes.
fn arguments(port: u16, nodes: &[String]) -> Vec<String> {
    let mut arguments = vec![
        "--port".to_owned(),
        port.to_string(),
        "--ready-path".to_owned(),
        READY_PATH.to_owned(),
    ];
    arguments.extend(nodes.iter().cloned());
    arguments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_its_port_the_readiness_check_and_every_node() {
        let nodes = ["http://127.0.0.1:8801", "http://127.0.0.1:8802"].map(String::from);
        assert_eq!(
            arguments(8797, &nodes),
            [
                "--port",
                "8797",
                "--ready-path",
                "/readyz",
                "http://127.0.0.1:8801",
                "http://127.0.0.1:8802"
            ]
        );
    }
}
