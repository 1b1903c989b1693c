-- Organisations are buyers, sellers or both; every tenant so far is a buyer that
-- binds its own agents, and stays one.
ALTER TABLE tenants ADD COLUMN is_buyer BIGINT NOT NULL DEFAULT 1;
ALTER TABLE tenants ADD COLUMN is_seller BIGINT NOT NULL DEFAULT 0;

-- A seller's catalog entry. `status`: `active`, `deprecated` (buyers are told,
-- nothing breaks) or `withdrawn` (no new subscriptions).
CREATE TABLE published_agents (
    id TEXT PRIMARY KEY,
    seller_id TEXT NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    icon_url TEXT,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX published_agents_by_seller ON published_agents (seller_id);

-- A version of a published agent is an agent row of the seller's that nothing
-- changes once written: its runtime binding, numbered 1, 2, … per published
-- agent, with its release notes and what it lets buyers set. A tenant's own
-- agents have no published agent.
ALTER TABLE agents ADD COLUMN published_agent_id TEXT REFERENCES published_agents (id);
ALTER TABLE agents ADD COLUMN version BIGINT;
ALTER TABLE agents ADD COLUMN release_notes TEXT NOT NULL DEFAULT '';
-- 1 when buyers may add to the system prompt.
ALTER TABLE agents ADD COLUMN buyer_prompt_addendum BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX agent_versions ON agents (published_agent_id, version);

-- A secret key holds every admin scope of its organisation, the new one too.
UPDATE api_keys SET scopes = scopes || ' catalog:write' WHERE kind = 'sec';
