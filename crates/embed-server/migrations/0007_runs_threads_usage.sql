-- Issue 4: what a run needs from its agent (model and system prompt for
-- OpenAI-compatible runtimes, timeouts), which widgets show tool calls, each
-- thread's messages (for history), and one usage record per run.

ALTER TABLE agents ADD COLUMN model TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN system_prompt TEXT NOT NULL DEFAULT '';
-- Milliseconds: until the runtime answers, until its first event, between two
-- events, and for the whole run.
ALTER TABLE agents ADD COLUMN connect_timeout_ms BIGINT NOT NULL DEFAULT 10000;
ALTER TABLE agents ADD COLUMN first_event_timeout_ms BIGINT NOT NULL DEFAULT 60000;
ALTER TABLE agents ADD COLUMN idle_timeout_ms BIGINT NOT NULL DEFAULT 60000;
ALTER TABLE agents ADD COLUMN total_timeout_ms BIGINT NOT NULL DEFAULT 300000;

ALTER TABLE widgets ADD COLUMN show_tool_events BIGINT NOT NULL DEFAULT 0;

-- A thread is one visitor's conversation with one widget; `thread_id` is the id
-- the visitor's browser chose, unique only together with widget and visitor.
CREATE TABLE thread_messages (
    id TEXT PRIMARY KEY,
    widget_id TEXT NOT NULL REFERENCES widgets (id),
    visitor_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    -- 1, 2, 3, … within the thread: the order, even within one millisecond.
    seq BIGINT NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    -- Unix milliseconds.
    created_at BIGINT NOT NULL,
    UNIQUE (widget_id, visitor_id, thread_id, seq)
);
CREATE INDEX thread_messages_by_age ON thread_messages (created_at);

-- One record per run, written by the server: what the browser says never counts.
CREATE TABLE usage_runs (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    agent_id TEXT NOT NULL REFERENCES agents (id),
    widget_id TEXT NOT NULL REFERENCES widgets (id),
    key_id TEXT NOT NULL REFERENCES api_keys (id),
    visitor_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    input_chars BIGINT NOT NULL,
    output_chars BIGINT NOT NULL,
    -- NULL when the runtime reports no token counts.
    input_tokens BIGINT,
    output_tokens BIGINT,
    -- NULL when no event arrived.
    first_event_ms BIGINT,
    duration_ms BIGINT NOT NULL,
    -- `ok`, a RUN_ERROR code such as `runtime_timeout`, or `visitor_left`.
    outcome TEXT NOT NULL,
    -- Unix milliseconds.
    started_at BIGINT NOT NULL
);
CREATE INDEX usage_runs_by_tenant ON usage_runs (tenant_id, started_at);
