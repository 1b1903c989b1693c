-- The hashed browser assets of the releases servers have started on (each
-- release's pinned loader and the widget's JS and Wasm, in every encoding they
-- are served in), so a page with a pinned snippet keeps its chat after an
-- upgrade, whichever node it reaches. `sitekit serve --kept-releases` bounds them.

CREATE TABLE kept_releases (
    -- The release's pinned loader (`loader-<hash>.js`), which names its widget files.
    pinned_loader TEXT PRIMARY KEY,
    -- Unix milliseconds: when a server last started on this release.
    started_at BIGINT NOT NULL
);

CREATE TABLE kept_assets (
    -- A hashed file name, e.g. `widget-<hash>.wasm`.
    name TEXT NOT NULL,
    -- `identity`, `br` or `gzip`: the bytes as sent with that Content-Encoding.
    encoding TEXT NOT NULL,
    etag TEXT NOT NULL,
    -- BYTEA is PostgreSQL's bytes; SQLite keeps a blob as it is in any column.
    body BYTEA NOT NULL,
    -- The started_at of the newest release with this file (releases share
    -- files): the file goes when the last release that has it does.
    release_started_at BIGINT NOT NULL,
    PRIMARY KEY (name, encoding)
);
