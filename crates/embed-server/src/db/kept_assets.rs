//! Earlier releases' hashed assets (`kept_releases`, `kept_assets`): written
//! when a server starts on a release, read when a page asks for a file the
//! running build does not have.

use super::{Db, now_unix_ms};

/// One hashed file of a release, in each encoding it is served in.
#[derive(Debug)]
pub struct KeptFile<'a> {
    pub name: &'a str,
    pub etag: &'a str,
    /// (`identity` | `br` | `gzip`, the bytes sent with that encoding)
    pub bodies: Vec<(&'static str, &'a [u8])>,
}

/// A kept file in the encoding chosen for one request.
#[derive(Debug)]
pub struct KeptBody {
    pub etag: String,
    /// `br` or `gzip`; None for the bytes as they are.
    pub encoding: Option<&'static str>,
    pub body: Vec<u8>,
}

impl Db {
    /// Records the release named by `pinned_loader` with its files as the one
    /// started now, and forgets all but the newest `keep` releases and the
    /// files no remaining release has. Returns how many releases it forgot.
    pub async fn keep_release(
        &self,
        pinned_loader: &str,
        files: &[KeptFile<'_>],
        keep: u32,
    ) -> Result<u64, sqlx::Error> {
        let now = now_unix_ms();
        let mut writer = self.writer.connection().await?;
        let mut tx = writer.begin().await?;
        // The newest time wins, so nodes whose clocks disagree a little never
        // move a release back behind an older one.
        sqlx::query(
            "INSERT INTO kept_releases (pinned_loader, started_at) VALUES ($1, $2) \
             ON CONFLICT (pinned_loader) DO UPDATE SET started_at = CASE \
             WHEN excluded.started_at > kept_releases.started_at THEN excluded.started_at \
             ELSE kept_releases.started_at END",
        )
        .bind(pinned_loader)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        for file in files {
            for (encoding, body) in &file.bodies {
                // A file already kept is the same bytes (its name is their
                // hash): only the release time moves.
                sqlx::query(
                    "INSERT INTO kept_assets (name, encoding, etag, body, release_started_at) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (name, encoding) DO UPDATE SET release_started_at = CASE \
                     WHEN excluded.release_started_at > kept_assets.release_started_at \
                     THEN excluded.release_started_at ELSE kept_assets.release_started_at END",
                )
                .bind(file.name)
                .bind(*encoding)
                .bind(file.etag)
                .bind(body.to_vec())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        let forgotten = sqlx::query(
            "DELETE FROM kept_releases WHERE pinned_loader NOT IN (SELECT pinned_loader \
             FROM kept_releases ORDER BY started_at DESC, pinned_loader DESC LIMIT $1)",
        )
        .bind(i64::from(keep))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // A file's release time is that of the newest release with it, so a file
        // older than every kept release belongs to none of them.
        sqlx::query(
            "DELETE FROM kept_assets WHERE release_started_at < \
             (SELECT MIN(started_at) FROM kept_releases)",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(forgotten)
    }

    /// The kept file `name` in the first of brotli (if `brotli`), gzip (if
    /// `gzip`) and identity that it is kept in; None if no release has it.
    pub async fn kept_asset(
        &self,
        name: &str,
        brotli: bool,
        gzip: bool,
    ) -> Result<Option<KeptBody>, sqlx::Error> {
        let row: Option<(String, String, Vec<u8>)> = sqlx::query_as(
            "SELECT encoding, etag, body FROM kept_assets \
             WHERE name = $1 AND encoding IN ($2, $3, 'identity') \
             ORDER BY CASE encoding WHEN 'br' THEN 0 WHEN 'gzip' THEN 1 ELSE 2 END LIMIT 1",
        )
        .bind(name)
        .bind(if brotli { "br" } else { "identity" })
        .bind(if gzip { "gzip" } else { "identity" })
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(encoding, etag, body)| KeptBody {
            etag,
            encoding: match encoding.as_str() {
                "br" => Some("br"),
                "gzip" => Some("gzip"),
                _ => None,
            },
            body,
        }))
    }
}
