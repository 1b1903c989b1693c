-- Every key event (who, what, when), never the secret.

CREATE TABLE key_events (
    id TEXT PRIMARY KEY,
    key_id TEXT NOT NULL REFERENCES api_keys (id),
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    -- 1, 2, 3, … per key: the order events happened in, even within one second.
    seq BIGINT NOT NULL,
    event TEXT NOT NULL,
    actor TEXT NOT NULL,
    at BIGINT NOT NULL,
    UNIQUE (key_id, seq)
);
