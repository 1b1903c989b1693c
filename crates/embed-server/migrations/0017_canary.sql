-- The version a published agent's subscriptions that follow the latest run
-- (`released_version`), and a canary: another version for the subscriptions
-- whose `canary_bucket` (0 to 99) is below `canary_percent`.
ALTER TABLE published_agents ADD COLUMN released_version BIGINT;
ALTER TABLE published_agents ADD COLUMN canary_version BIGINT;
ALTER TABLE published_agents ADD COLUMN canary_percent BIGINT NOT NULL DEFAULT 0;
UPDATE published_agents SET released_version =
    (SELECT MAX(version) FROM agents WHERE agents.published_agent_id = published_agents.id);

-- Given when a subscription is made, spread evenly over its agent's
-- subscriptions, and kept: a canary reaches the same subscriptions each time.
ALTER TABLE subscriptions ADD COLUMN canary_bucket BIGINT NOT NULL DEFAULT 0;
