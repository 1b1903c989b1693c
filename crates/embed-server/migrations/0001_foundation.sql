-- Tenants, their agents (runtime bindings), widgets and keys, and the server's own
-- secrets. Times are Unix seconds; ids are prefixed random strings.

CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    runtime TEXT NOT NULL,
    base_url TEXT NOT NULL,
    flow_id TEXT NOT NULL,
    runtime_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE widgets (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    agent_id TEXT NOT NULL REFERENCES agents (id),
    title TEXT NOT NULL,
    greeting TEXT NOT NULL,
    locale TEXT NOT NULL,
    primary_color TEXT NOT NULL,
    position TEXT NOT NULL,
    allowed_origins TEXT NOT NULL,
    -- 1 or 0: the Any driver has no portable boolean.
    enabled BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    widget_id TEXT REFERENCES widgets (id),
    kind TEXT NOT NULL,
    mode TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    display_prefix TEXT NOT NULL,
    last4 TEXT NOT NULL,
    -- Only publishable keys, which are public by design, are kept in full (to
    -- re-issue snippets); every other key exists here only as its hash.
    publishable_value TEXT,
    scopes TEXT NOT NULL,
    generation BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
