//! Whether this node wants new work. A node is ready from its start until a
//! shutdown signal; then it drains: `GET /readyz` answers 503 so load
//! balancers stop sending it new chats, while it goes on serving for the
//! drain period (`--drain-secs`, what a balancer takes to notice), and only
//! then stops accepting connections and lets its open streams finish.

use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, Default)]
pub struct Readiness {
    draining: AtomicBool,
}

impl Readiness {
    /// From now on the node answers "not ready"; it never becomes ready again.
    pub fn start_draining(&self) {
        if !self.draining.swap(true, Ordering::Relaxed) {
            tracing::info!("draining: /readyz answers 503 so new chats go to other nodes");
        }
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }
}
