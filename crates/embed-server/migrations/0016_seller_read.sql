-- A secret key holds every admin scope of its organisation, the new one too:
-- how buyers use the agents it sells.
UPDATE api_keys SET scopes = scopes || ' seller:read' WHERE kind = 'sec';

-- A seller's analytics read the runs of its versions by time.
CREATE INDEX usage_runs_by_agent ON usage_runs (agent_id, started_at);
