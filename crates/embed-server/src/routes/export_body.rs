//! The body of a streamed export (usage, conversations, leads): one chunk per
//! page the export reads from the database, so memory stays one page however
//! large the export. A database failure mid-way ends the body early and
//! unfinished (the connection is cut), so a client never takes a partial
//! export for a whole one.

use std::future::Future;

use axum::body::{Body, Bytes};

/// An export that reads itself a page at a time.
pub trait PagedExport: Send + 'static {
    /// The next page as text; None once everything is out.
    fn next_page(&mut self) -> impl Future<Output = Result<Option<String>, sqlx::Error>> + Send;
}

/// `export` as a streamed body; `what` names it in the log if it is cut short.
pub fn streamed(export: impl PagedExport, what: &'static str) -> Body {
    let pages = futures_util::stream::unfold(Some(export), move |export| async move {
        let mut export = export?;
        match export.next_page().await {
            Ok(Some(chunk)) => Some((Ok(Bytes::from(chunk)), Some(export))),
            Ok(None) => None,
            Err(error) => {
                tracing::error!(%error, "{what} export cut short");
                Some((Err(error), None))
            }
        }
    });
    Body::from_stream(pages)
}
