//! Where writes go. SQLite takes one writer at a time, and connections that
//! write at once wait in its busy handler, which sleeps in steps of
//! milliseconds: so on SQLite every write goes through one connection behind a
//! fair async lock, waits in line and goes the moment the write before it is
//! done. PostgreSQL takes many writers at once: writes use its pool.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sqlx::any::Any;
use sqlx::pool::PoolConnection;
use sqlx::{AnyConnection, AnyPool, Transaction};
use tokio::sync::{Mutex, MutexGuard};

#[derive(Debug, Clone)]
pub(crate) enum Writer {
    Pool(AnyPool),
    Single(Arc<Mutex<AnyConnection>>),
}

/// A connection to write on, held until dropped.
pub(crate) enum WriteConnection<'a> {
    Pooled(PoolConnection<Any>),
    Single(MutexGuard<'a, AnyConnection>),
}

impl Writer {
    pub(crate) fn single(connection: AnyConnection) -> Writer {
        Writer::Single(Arc::new(Mutex::new(connection)))
    }

    /// The connection, once the writes queued before have been made.
    pub(crate) async fn connection(&self) -> Result<WriteConnection<'_>, sqlx::Error> {
        Ok(match self {
            Writer::Pool(pool) => WriteConnection::Pooled(pool.acquire().await?),
            Writer::Single(connection) => WriteConnection::Single(connection.lock().await),
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
