-- The operator's keys (`skt_op_…`): made only by the command line on the
-- server's machine, they provision organisations and their keys through
-- /v1/operator/. They belong to no organisation, so they live apart from the
-- organisations' keys, and no tenant's query can reach them.
CREATE TABLE operator_keys (
    id TEXT PRIMARY KEY,
    -- What the key is for, as the operator wrote it (e.g. "Waldur site agent").
    note TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    display_prefix TEXT NOT NULL,
    last4 TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT
);
