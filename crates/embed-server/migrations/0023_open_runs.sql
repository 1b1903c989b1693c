-- Runs being answered now, each with the usage record it gets if the node
-- serving it stops before recording it (outcome `node_stopped`): any node
-- records those once `lost_after` (Unix ms: the run's time limit and a
-- margin) has passed. The record's id is the one the run's own record has,
-- so the run is counted once either way.
CREATE TABLE open_runs (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    agent_version BIGINT NOT NULL,
    widget_id TEXT NOT NULL,
    key_id TEXT NOT NULL,
    visitor_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    input_chars BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    lost_after BIGINT NOT NULL
);
CREATE INDEX open_runs_by_lost_after ON open_runs (lost_after);
