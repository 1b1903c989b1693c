-- People who sign in to the dashboard with the identity provider (OpenID
-- Connect), known by the provider's `sub`, and the organisations they belong
-- to, each with a role (owner, admin, viewer, publisher). Email and name are
-- the ID token's at the last sign-in, for display only.
CREATE TABLE members (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    subject TEXT NOT NULL,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, subject)
);
CREATE INDEX members_by_subject ON members (subject, created_at);

-- Sign-ins under way: the SHA-256 of the `state` sent to the provider, with
-- the nonce and the PKCE verifier that belong to it. Taken (deleted) when the
-- provider sends the person back, so a state works once.
CREATE TABLE sign_ins (
    state_hash TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    return_to TEXT NOT NULL,
    -- The SHA-256 of an invitation's token, when the sign-in accepts one.
    invitation_hash TEXT,
    created_at BIGINT NOT NULL
);

-- Dashboard sessions of signed-in people, by the SHA-256 of the cookie's
-- token (the token itself is only in the person's browser). A session acts
-- in one organisation; it ends when revoked (sign-out), idle too long, or at
-- expires_at, whatever comes first.
CREATE TABLE web_sessions (
    token_hash TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX web_sessions_by_subject ON web_sessions (subject);

-- Invitations to become a member, sent by email as a sign-in link: the
-- SHA-256 of the link's token, the organisation, the address invited (the
-- ID token's email must be it) and the role. Deleted when accepted, so a
-- link works once; it stops working at expires_at.
CREATE TABLE invitations (
    token_hash TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    invited_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX invitations_by_tenant ON invitations (tenant_id, created_at);

-- The organisation's audit trail: every write to its admin API, by whom (a
-- person `person:<sub>`, a key `key:<id>`), what (method and path, never the
-- query), the answer's status, from which address, when (Unix ms). Kept as
-- long as the keys' own trail (--key-event-retention-days).
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status BIGINT NOT NULL,
    address TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX audit_events_by_tenant ON audit_events (tenant_id, at);
CREATE INDEX audit_events_by_time ON audit_events (at);
