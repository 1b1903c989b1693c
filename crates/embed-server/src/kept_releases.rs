//! Earlier releases stay servable, so a pinned snippet survives an upgrade: a
//! starting server keeps its release's pinned loader and widget files in the
//! database every node shares, and `GET /v1/assets/<name>` falls back to them
//! for a name the running build does not have.

use crate::assets::AssetStore;
use crate::db::{Db, KeptBody, KeptFile};

/// Keeps the release `assets` belong to as the newest, and no more than the
/// newest `keep` releases in all.
pub async fn keep_release(db: &Db, assets: &AssetStore, keep: u32) -> Result<(), sqlx::Error> {
    let files: Vec<KeptFile<'_>> = assets
        .release_files()
        .into_iter()
        .map(|(name, asset)| KeptFile {
            name,
            etag: &asset.etag,
            bodies: [
                ("identity", Some(&asset.identity)),
                ("br", asset.brotli.as_ref()),
                ("gzip", asset.gzip.as_ref()),
            ]
            .into_iter()
            .filter_map(|(encoding, body)| Some((encoding, body?.as_ref())))
            .collect(),
        })
        .collect();
    let forgotten = db
        .keep_release(&assets.manifest.pinned_loader, &files, keep)
        .await?;
    if forgotten > 0 {
        tracing::info!(
            forgotten,
            keep,
            "forgot the assets of releases older than the last --kept-releases"
        );
    }
    Ok(())
}

/// The kept file `name` in the best encoding the request accepts, if any
/// kept release has it.
pub async fn find(
    db: &Db,
    name: &str,
    brotli: bool,
    gzip: bool,
) -> Result<Option<KeptBody>, sqlx::Error> {
    // Only what a release can hold reaches the database.
    if !is_release_file_name(name) {
        return Ok(None);
    }
    db.kept_asset(name, brotli, gzip).await
}

/// `<stem>-<16 hex digits>.js|wasm`: how the build names a pinned loader and the
/// widget's files.
fn is_release_file_name(name: &str) -> bool {
    let Some((rest, ext)) = name.rsplit_once('.') else {
        return false;
    };
    let Some((stem, hash)) = rest.rsplit_once('-') else {
        return false;
    };
    matches!(ext, "js" | "wasm")
        && !stem.is_empty()
        && stem.bytes().all(|b| b.is_ascii_lowercase())
        && hash.len() == 16
        && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::is_release_file_name;

    #[test]
    fn only_names_the_build_gives_release_files_are_looked_up() {
        for name in ["loader-0123456789abcdef.js", "widget-fedcba9876543210.wasm"] {
            assert!(is_release_file_name(name), "{name}");
        }
        for name in [
            "loader.js",
            "manifest.json",
            "widget-0123456789abcdef.js.br",
            "widget-0123456789ABCDEF.js",
            "widget-0123456789abcde.js",
            "-0123456789abcdef.js",
            "dashboard-0123456789abcdef.css",
            "..-0123456789abcdef.js",
            "widget-0123456789abcdefg.wasm",
        ] {
            assert!(!is_release_file_name(name), "{name}");
        }
    }
}
