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

    /// The condition a message `m` of `thread_messages` meets when it holds
    /// the words of the search bound as `$n`.
    pub(super) fn message_matches(&self, n: usize) -> String {
        if self.is_sqlite {
            format!("m.rowid IN (SELECT rowid FROM message_search WHERE message_search MATCH ${n})")
        } else {
            format!("to_tsvector('simple', m.content) @@ plainto_tsquery('simple', ${n})")
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
