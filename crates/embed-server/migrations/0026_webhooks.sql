-- Outgoing webhooks: the endpoints an organisation registers, and one table
-- that is both the outbox the delivery worker sends from and the delivery log
-- the owner reads (`webhooks/`).

CREATE TABLE webhook_endpoints (
    -- `whk_…`.
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    url TEXT NOT NULL,
    -- The event types it is sent, space-separated (`conversation.started
    -- run.failed`): a subscription test is `(' ' || events || ' ') LIKE
    -- '% <type> %'`.
    events TEXT NOT NULL,
    -- The signing secret (`whsec_…`), sealed under the master key
    -- (`db/at_rest.rs`), shown only when made and when rotated.
    secret TEXT NOT NULL,
    -- The secret before the latest rotation, sealed, and until when (Unix ms)
    -- deliveries are signed with it too; NULL when there is none.
    previous_secret TEXT,
    previous_secret_until BIGINT,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
-- An organisation's live endpoints: listing, the limit, and every enqueue.
CREATE INDEX webhook_endpoints_by_tenant ON webhook_endpoints (tenant_id, deleted_at);

-- One event for one endpoint: pending in the outbox until it is delivered
-- (`done`) or its retries run out (`failed`); kept as the delivery log.
CREATE TABLE webhook_deliveries (
    -- `whd_…`: the `webhook-id` header, the same on every attempt and resend,
    -- so receivers can drop what they have seen.
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id),
    tenant_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    -- The body sent, exactly: `{"type","timestamp","data"}`.
    payload TEXT NOT NULL,
    -- Unix milliseconds.
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    -- Past this (Unix ms), a failed attempt is the last: `failed`.
    retry_until BIGINT NOT NULL,
    -- The latest attempt's HTTP status (NULL: no answer) and why it failed.
    last_status BIGINT,
    last_error TEXT,
    -- `pending`, `done` or `failed`.
    state TEXT NOT NULL,
    -- Whichever node is sending it now: a random token per claim and until
    -- when (Unix ms) the claim holds. A node that stops mid-send leaves a lease
    -- that expires, and another node sends it again (at least once).
    lease_token TEXT,
    lease_until BIGINT,
    done_at BIGINT,
    -- What makes an event once per endpoint whatever the nodes (`usage.daily`
    -- of one day); NULL for events that are unique by nature.
    dedupe_key TEXT,
    UNIQUE (endpoint_id, dedupe_key)
);
-- The worker: what is due.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
-- The log: an endpoint's deliveries, newest first.
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at, id);

-- A secret key holds every admin scope of its organisation, the new one too.
UPDATE api_keys SET scopes = scopes || ' webhooks:write' WHERE kind = 'sec';
