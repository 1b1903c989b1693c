//! Telling a database that cannot be reached (down, restarting, failing over,
//! or the network to it cut) from one that refused what was asked: a write
//! that failed for the first reason succeeds unchanged once the database is
//! back, so it is worth waiting for; one that failed for the second is not.

/// Whether `error` says the database could not be reached. PostgreSQL's
/// SQLSTATE class 08 is the connection's failure; 57P01–57P03 are a server
/// shutting down or not yet taking connections.
pub(crate) fn is_unreachable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(error) => error.code().is_some_and(|code| {
            code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Error, ErrorKind};

    use super::*;

    #[test]
    fn a_cut_connection_or_a_pool_that_waited_in_vain_is_unreachable() {
        for kind in [ErrorKind::ConnectionReset, ErrorKind::UnexpectedEof] {
            assert!(is_unreachable(&sqlx::Error::Io(Error::from(kind))));
        }
        assert!(is_unreachable(&sqlx::Error::PoolTimedOut));
    }

    #[test]
    fn a_refusal_or_a_closed_pool_is_not() {
        assert!(!is_unreachable(&sqlx::Error::RowNotFound));
        assert!(!is_unreachable(&sqlx::Error::PoolClosed));
        assert!(!is_unreachable(&sqlx::Error::Protocol("bad".into())));
    }
}
