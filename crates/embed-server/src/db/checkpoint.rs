//! SQLite's WAL checkpoints, off the writer's path. By default SQLite lets the
//! commit that fills the WAL past 1000 pages copy it back into the database
//! file and wait for the disk to sync it; that commit, and every write queued
//! behind the one writer, then waits too. Measured, a slow disk moment halved
//! usage ingestion. While the server runs, a task checkpoints instead, on a
//! reader's connection, without blocking the writer (a PASSIVE checkpoint
//! copies what no reader still needs; the writer starts the WAL over once all
//! of it was copied).

use std::time::Duration;

use tokio::task::JoinHandle;

use super::Db;

/// How often the WAL is copied back: under load about as often as SQLite's own
/// 1000-page threshold was reached, so the WAL stays a few megabytes.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

impl Db {
    /// On SQLite, stops commits from checkpointing and checkpoints every
    /// [`CHECKPOINT_EVERY`] on a task of its own until the handle is aborted;
    /// `None` on PostgreSQL, which has no WAL file of its own to copy back.
    pub async fn checkpoint_in_background(&self) -> Result<Option<JoinHandle<()>>, sqlx::Error> {
        if !self.is_sqlite {
            return Ok(None);
        }
        sqlx::query("PRAGMA wal_autocheckpoint = 0")
            .execute(&mut *self.writer.connection().await?)
            .await?;
        let pool = self.pool.clone();
        Ok(Some(tokio::spawn(async move {
            let mut every = tokio::time::interval(CHECKPOINT_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                // A failed checkpoint leaves the WAL as it was; the next one
                // copies it.
                if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&pool)
                    .await
                {
                    tracing::warn!(%error, "cannot checkpoint the SQLite WAL");
                }
            }
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(path: &std::path::Path) -> u64 {
        std::fs::metadata(path).map(|meta| meta.len()).unwrap_or(0)
    }

    /// What is written reaches the database file, though no commit copies it.
    #[tokio::test]
    async fn writes_reach_the_database_file_without_the_writer_checkpointing() {
        let dir = std::env::temp_dir().join(format!("sitekit-checkpoint-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let file = dir.join("db.sqlite");
        let db = Db::open(&format!("sqlite://{}", file.display()))
            .await
            .unwrap();
        // The checkpoints stopped at once: what follows is the writer alone.
        let stopped = db.checkpoint_in_background().await.unwrap().unwrap();
        stopped.abort();
        let _ = stopped.await;
        let before = size(&file);
        {
            let mut writer = db.writer.connection().await.unwrap();
            sqlx::query("CREATE TABLE filler (text TEXT)")
                .execute(&mut *writer)
                .await
                .unwrap();
            // Over SQLite's own 1000-page threshold, in one commit.
            sqlx::query(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) \
                 INSERT INTO filler SELECT printf('%.1000c', 'x') FROM n",
            )
            .execute(&mut *writer)
            .await
            .unwrap();
        }
        let wal = dir.join("db.sqlite-wal");
        assert!(size(&wal) > 4_000_000, "the rows went to the WAL first");
        assert!(
            size(&file) < before + 1_000_000,
            "the commit did not copy them"
        );
        let checkpoints = db.checkpoint_in_background().await.unwrap().unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while size(&file) < before + 4_000_000 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the database file stayed at {} bytes",
                size(&file)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        checkpoints.abort();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
