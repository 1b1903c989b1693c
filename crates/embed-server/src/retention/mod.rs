//! How long what the server stores about visitors and keys is kept, and the
//! periodic task that forgets the rest: threads' messages, client usage
//! events and the audit trails (the keys', the organisations'). Run records (billing) and the daily
//! roll-ups are kept.

mod store;

use std::time::Duration;

use crate::db::{Db, now_unix_ms};

/// Retention periods, each from the command line.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub thread_messages: Duration,
    pub usage_events: Duration,
    pub key_events: Duration,
}

/// How often what is past its retention is forgotten.
pub const FORGET_EVERY: Duration = Duration::from_secs(3_600);

impl Retention {
    /// Forgets everything past its retention now; logs what it forgot, and
    /// what it could not (the next round tries again).
    pub async fn forget_past(&self, db: &Db) {
        let now_ms = now_unix_ms();
        let before = |kept: Duration| now_ms - i64::try_from(kept.as_millis()).unwrap_or(i64::MAX);
        report(
            "thread messages",
            db.forget_messages_before(before(self.thread_messages))
                .await,
        );
        report(
            "usage events",
            db.forget_usage_events_before(before(self.usage_events))
                .await,
        );
        report(
            "key events",
            db.forget_key_events_before(before(self.key_events) / 1_000)
                .await,
        );
        // The organisations' audit trail lives as long as the keys' own.
        report(
            "audit events",
            db.forget_audit_events_before(before(self.key_events)).await,
        );
    }
}

fn report(what: &'static str, outcome: Result<u64, sqlx::Error>) {
    match outcome {
        Ok(0) => {}
        Ok(forgotten) => tracing::info!(forgotten, what, "forgot what is past its retention"),
        Err(error) => tracing::warn!(%error, what, "cannot forget what is past its retention"),
    }
}
