//! Full-text search over threads' messages, each database its own way: an
//! FTS5 table on SQLite kept by triggers, a GIN index over `to_tsvector` on
//! PostgreSQL. Neither is SQL the other accepts, so they are not migrations:
//! the server makes them when it starts, if they are missing.
//!
//! Both read words alike: split at what is not a letter or digit, any case,
//! accents kept (`simple` configuration; `unicode61` without removing
//! diacritics), no stemming, so the five languages of the widget search the
//! same way; a search matches a message that holds every word.
//!
//! The FTS5 table indexes `thread_messages` by rowid. SQLite keeps a table's
//! rowids across everything the server does; a manual `VACUUM` may renumber
//! them, after which `INSERT INTO message_search(message_search)
//! VALUES('rebuild')` makes the index again.

use sqlx::Row;

use crate::db::Db;

/// SQLite's index: the table, the triggers that keep it, and the messages
/// stored before it.
const SQLITE_INDEX: [&str; 4] = [
    "CREATE VIRTUAL TABLE message_search USING fts5(content, content = 'thread_messages', \
     content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 0')",
    "CREATE TRIGGER message_search_insert AFTER INSERT ON thread_messages BEGIN \
     INSERT INTO message_search (rowid, content) VALUES (new.rowid, new.content); END",
    "CREATE TRIGGER message_search_delete AFTER DELETE ON thread_messages BEGIN \
     INSERT INTO message_search (message_search, rowid, content) \
     VALUES ('delete', old.rowid, old.content); END",
    "INSERT INTO message_search (message_search) VALUES ('rebuild')",
];

const POSTGRES_INDEX: &str = "CREATE INDEX IF NOT EXISTS thread_messages_search \
     ON thread_messages USING GIN (to_tsvector('simple', content))";

/// At most this many words of a search are used.
const MAX_WORDS: usize = 16;

/// Up to this many matching messages, a search finds its conversations from
/// the index's matches; past it, the words are common, and it is quicker to
/// walk the conversations newest first and look into each one's messages
/// until a page is full (measured by `cargo xtask bench --only inbox`).
const FEW_MATCHES: i64 = 2_000;

/// How a search finds its conversations (see [`FEW_MATCHES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SearchPlan {
    /// From the index's matches, then sorted.
    FromMatches,
    /// Newest conversation first, each one's messages searched.
    FromConversations,
}

impl Db {
    /// Makes the message search index if this database has none yet (on an
    /// existing database with many messages, once, it takes a while).
    pub async fn ensure_message_search(&self) -> Result<(), sqlx::Error> {
        let mut writer = self.writer.connection().await?;
        if !self.is_sqlite {
            sqlx::query(POSTGRES_INDEX).execute(&mut *writer).await?;
            return Ok(());
        }
        let exists =
            sqlx::query("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'message_search'")
                .fetch_one(&mut *writer)
                .await?
                .try_get::<i64, _>("n")?
                > 0;
        if exists {
            return Ok(());
        }
        let mut tx = writer.begin().await?;
        for statement in SQLITE_INDEX {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        tx.commit().await
    }

    /// Which way a search for `terms` (as [`Db::search_terms`] made them)
    /// finds its conversations quicker: whether the words match few messages,
    /// counted up to [`FEW_MATCHES`] at most.
    pub(super) async fn search_plan(&self, terms: &str) -> Result<SearchPlan, sqlx::Error> {
        let sql = if self.is_sqlite {
            "SELECT COUNT(*) FROM (SELECT rowid FROM message_search \
             WHERE message_search MATCH $1 LIMIT $2) few"
        } else {
            "SELECT COUNT(*) FROM (SELECT 1 FROM thread_messages \
             WHERE to_tsvector('simple', content) @@ plainto_tsquery('simple', $1) LIMIT $2) few"
        };
        let matches: i64 = sqlx::query_scalar(sql)
            .bind(terms)
            .bind(FEW_MATCHES)
            .fetch_one(&self.pool)
            .await?;
        Ok(if matches < FEW_MATCHES {
            SearchPlan::FromMatches
        } else {
            SearchPlan::FromConversations
        })
    }

    /// The condition a conversation `c` meets when one of its messages holds
    /// the words bound as `$n`, written for `plan`.
    pub(super) fn conversation_matches(&self, plan: SearchPlan, n: usize) -> String {
        let same_thread = "m.widget_id = c.widget_id AND m.visitor_id = c.visitor_id \
                           AND m.thread_id = c.thread_id";
        match (plan, self.is_sqlite) {
            (SearchPlan::FromMatches, true) => format!(
                "c.id IN (SELECT f.id FROM message_search JOIN thread_messages m \
                 ON m.rowid = message_search.rowid JOIN conversations f \
                 ON f.widget_id = m.widget_id AND f.visitor_id = m.visitor_id \
                 AND f.thread_id = m.thread_id WHERE message_search MATCH ${n})"
            ),
            (SearchPlan::FromMatches, false) => format!(
                "c.id IN (SELECT f.id FROM thread_messages m JOIN conversations f \
                 ON f.widget_id = m.widget_id AND f.visitor_id = m.visitor_id \
                 AND f.thread_id = m.thread_id \
                 WHERE to_tsvector('simple', m.content) @@ plainto_tsquery('simple', ${n}))"
            ),
            // The matches are listed once (SQLite keeps the list of a
            // subquery that names nothing outside it), and each thread's few
            // messages are looked up in it: asking the index again for every
            // message cost twenty times as much for two common words.
            (SearchPlan::FromConversations, true) => format!(
                "EXISTS (SELECT 1 FROM thread_messages m WHERE {same_thread} \
                 AND m.rowid IN (SELECT rowid FROM message_search \
                 WHERE message_search MATCH ${n}))"
            ),
            (SearchPlan::FromConversations, false) => format!(
                "EXISTS (SELECT 1 FROM thread_messages m WHERE {same_thread} \
                 AND to_tsvector('simple', m.content) @@ plainto_tsquery('simple', ${n}))"
            ),
        }
    }

    /// What to bind for a search of `text`: on SQLite an FTS5 query of its
    /// words, each quoted (so no word is read as an operator); PostgreSQL's
    /// `plainto_tsquery` reads plain text itself. None when it has no word.
    pub(super) fn search_terms(&self, text: &str) -> Option<String> {
        let words: Vec<&str> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .take(MAX_WORDS)
            .collect();
        if words.is_empty() {
            return None;
        }
        Some(if self.is_sqlite {
            // Split at everything but letters and digits: no quote is left to escape.
            let quoted: Vec<String> = words.iter().map(|word| format!("\"{word}\"")).collect();
            quoted.join(" ")
        } else {
            words.join(" ")
        })
    }
}
