-- A buyer's subscription to a published agent, and its version policy: pinned
-- to a version, or (NULL) following the latest. `policy_changed_at` is when
-- the policy was last set.
CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    buyer_id TEXT NOT NULL REFERENCES tenants (id),
    published_agent_id TEXT NOT NULL REFERENCES published_agents (id),
    pinned_version BIGINT,
    policy_changed_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX subscriptions_by_buyer ON subscriptions (buyer_id);
CREATE INDEX subscriptions_by_published_agent ON subscriptions (published_agent_id);

-- A widget runs either an agent of its own organisation (`agent_id`) or a
-- subscription, which each run resolves to a version. For a widget on a
-- subscription, `agent_id` keeps the version it was made with, only because
-- the column may not be empty; no run reads it.
ALTER TABLE widgets ADD COLUMN subscription_id TEXT REFERENCES subscriptions (id);

-- The version a run ran: its published agent's, or 1 for an organisation's own
-- agent, which has a single implicit version (as every run so far had).
ALTER TABLE usage_runs ADD COLUMN agent_version BIGINT NOT NULL DEFAULT 1;
