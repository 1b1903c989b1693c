//! Where writes go. SQLite takes one writer at a time, and connections that
//! write at once wait in its busy handler, which sleeps in steps of
//! milliseconds: so on SQLite every write goes through one connection behind a
//! fair async lock, waits in line and goes the moment the write before it is
//! done. PostgreSQL takes many writers at once: writes use its pool.
//!
//! Some writes are on a visitor's path (a chat's message count) and some are
//! not (the run ledger). A request that will soon write on its path says so
//! ([`Writer::expect`]) as it starts; writes off the path wait for a moment
//! when none is expected ([`Writer::quiet`]), so they are not what a chat
//! waits behind.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sqlx::any::Any;
use sqlx::pool::PoolConnection;
use sqlx::{AnyConnection, AnyPool, Transaction};
use tokio::sync::{Mutex, MutexGuard, Notify};

#[derive(Debug, Clone)]
pub(crate) enum Writer {
    Pool(AnyPool),
    Single(Arc<SingleWriter>),
}

#[derive(Debug)]
pub(crate) struct SingleWriter {
    connection: Mutex<AnyConnection>,
    expected: Expected,
}

/// How many writes on a visitor's path are coming.
#[derive(Debug, Default)]
struct Expected {
    count: AtomicUsize,
    none: Notify,
}

/// A write on a visitor's path that is coming, until dropped.
#[derive(Debug)]
pub struct ExpectedWrite(Option<Arc<SingleWriter>>);

impl Drop for ExpectedWrite {
    fn drop(&mut self) {
        if let Some(writer) = &self.0
            && writer.expected.count.fetch_sub(1, Ordering::AcqRel) == 1
        {
            writer.expected.none.notify_waiters();
        }
    }
}

/// A connection to write on, held until dropped.
pub(crate) enum WriteConnection<'a> {
    Pooled(PoolConnection<Any>),
    Single(MutexGuard<'a, AnyConnection>),
}

impl Writer {
    pub(crate) fn single(connection: AnyConnection) -> Writer {
        Writer::Single(Arc::new(SingleWriter {
            connection: Mutex::new(connection),
            expected: Expected::default(),
        }))
    }

    /// Notes that a write on a visitor's path is coming, until the result is dropped.
    pub(crate) fn expect(&self) -> ExpectedWrite {
        match self {
            Writer::Pool(_) => ExpectedWrite(None),
            Writer::Single(writer) => {
                writer.expected.count.fetch_add(1, Ordering::AcqRel);
                ExpectedWrite(Some(Arc::clone(writer)))
            }
        }
    }

    /// Returns once no write on a visitor's path is expected, or after
    /// `at_most`, so that writes off the path wait but never starve.
    pub(crate) async fn quiet(&self, at_most: Duration) {
        let Writer::Single(writer) = self else {
            return;
        };
        let expected = &writer.expected;
        let none_expected = async {
            loop {
                // Made before the check, so a notification between the two is not missed.
                let notified = expected.none.notified();
                if expected.count.load(Ordering::Acquire) == 0 {
                    return;
                }
                notified.await;
            }
        };
        let _ = tokio::time::timeout(at_most, none_expected).await;
    }

    /// The connection, once the writes queued before have been made.
    pub(crate) async fn connection(&self) -> Result<WriteConnection<'_>, sqlx::Error> {
        Ok(match self {
            Writer::Pool(pool) => WriteConnection::Pooled(pool.acquire().await?),
            Writer::Single(writer) => WriteConnection::Single(writer.connection.lock().await),
        })
    }
}

impl WriteConnection<'_> {
    /// A transaction on this connection.
    pub(crate) async fn begin(&mut self) -> Result<Transaction<'_, Any>, sqlx::Error> {
        sqlx::Connection::begin(&mut **self).await
    }
}

impl Deref for WriteConnection<'_> {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match self {
            WriteConnection::Pooled(connection) => connection,
            WriteConnection::Single(connection) => connection,
        }
    }
}

impl DerefMut for WriteConnection<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            WriteConnection::Pooled(connection) => connection,
            WriteConnection::Single(connection) => connection,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use sqlx::Connection;

    use super::*;

    async fn single() -> Writer {
        sqlx::any::install_default_drivers();
        Writer::single(AnyConnection::connect("sqlite::memory:").await.unwrap())
    }

    #[tokio::test]
    async fn writes_off_the_path_wait_until_the_expected_write_is_done() {
        let writer = single().await;
        let expected = writer.expect();
        let quiet = tokio::spawn({
            let writer = writer.clone();
            async move { writer.quiet(Duration::from_secs(30)).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!quiet.is_finished(), "it went ahead of an expected write");
        drop(expected);
        tokio::time::timeout(Duration::from_secs(5), quiet)
            .await
            .expect("it goes once the expected write is done")
            .unwrap();
    }

    #[tokio::test]
    async fn writes_off_the_path_never_wait_longer_than_they_may() {
        let writer = single().await;
        let _never_done = writer.expect();
        let started = Instant::now();
        writer.quiet(Duration::from_millis(100)).await;
        assert!(started.elapsed() >= Duration::from_millis(100));
        // With nothing expected, at once.
        let writer = single().await;
        tokio::time::timeout(
            Duration::from_secs(5),
            writer.quiet(Duration::from_secs(30)),
        )
        .await
        .expect("nothing to wait for");
    }
}
