-- Daily usage roll-ups, kept current in the same transaction as the records they
-- count (a new row of usage_runs or usage_events), so each record is counted
-- exactly once and reports never scan the raw tables. Derived data: the
-- references to tenants, agents, widgets and keys live on the raw rows.
-- Days are UTC days since 1970-01-01 (Unix milliseconds / 86,400,000).

CREATE TABLE usage_daily (
    tenant_id TEXT NOT NULL,
    day BIGINT NOT NULL,
    agent_id TEXT NOT NULL,
    widget_id TEXT NOT NULL,
    -- The publishable key the visitor's session came from.
    key_id TEXT NOT NULL,
    -- From usage_runs, on the day the run started: threads whose first run it
    -- was, runs, the visitor messages they answered (one per run), characters
    -- and the tokens runtimes reported.
    conversations BIGINT NOT NULL DEFAULT 0,
    runs BIGINT NOT NULL DEFAULT 0,
    messages BIGINT NOT NULL DEFAULT 0,
    input_chars BIGINT NOT NULL DEFAULT 0,
    output_chars BIGINT NOT NULL DEFAULT 0,
    input_tokens BIGINT NOT NULL DEFAULT 0,
    output_tokens BIGINT NOT NULL DEFAULT 0,
    -- From usage_events, on the day the event happened (its own `time`).
    feedback_up BIGINT NOT NULL DEFAULT 0,
    feedback_down BIGINT NOT NULL DEFAULT 0,
    loads BIGINT NOT NULL DEFAULT 0,
    opens BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day, agent_id, widget_id, key_id)
);

-- Runs whose outcome was not `ok`, by that outcome (a RUN_ERROR code or
-- `visitor_left`).
CREATE TABLE usage_daily_errors (
    tenant_id TEXT NOT NULL,
    day BIGINT NOT NULL,
    agent_id TEXT NOT NULL,
    widget_id TEXT NOT NULL,
    key_id TEXT NOT NULL,
    code TEXT NOT NULL,
    runs BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, day, agent_id, widget_id, key_id, code)
);

-- The run each thread's conversation is counted on: its earliest (by start,
-- then record id). Runs are recorded when they end, so a later run can arrive
-- first; the row says which run holds the count, so it can move.
CREATE TABLE usage_conversations (
    widget_id TEXT NOT NULL,
    visitor_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    first_run_id TEXT NOT NULL,
    -- Unix milliseconds.
    first_started_at BIGINT NOT NULL,
    PRIMARY KEY (widget_id, visitor_id, thread_id)
);

-- The backfill: what the records stored so far add up to, counted by the same
-- rules as new ones. Its index makes finding each thread's first run one look-up.
CREATE INDEX usage_runs_by_thread ON usage_runs (widget_id, visitor_id, thread_id, started_at);

INSERT INTO usage_conversations (widget_id, visitor_id, thread_id, first_run_id, first_started_at)
SELECT r.widget_id, r.visitor_id, r.thread_id, r.id, r.started_at
FROM usage_runs r
WHERE NOT EXISTS (
    SELECT 1 FROM usage_runs earlier
    WHERE earlier.widget_id = r.widget_id AND earlier.visitor_id = r.visitor_id
      AND earlier.thread_id = r.thread_id
      AND (earlier.started_at < r.started_at
           OR (earlier.started_at = r.started_at AND earlier.id < r.id))
);

DROP INDEX usage_runs_by_thread;

-- Feedback data is checked on the way in to hold `rating` "up" or "down" and is
-- stored as compact JSON, so the text `"rating":"up"` marks a thumbs-up (SQL
-- that reads JSON differs between the two databases).
INSERT INTO usage_daily (tenant_id, day, agent_id, widget_id, key_id, conversations, runs,
    messages, input_chars, output_chars, input_tokens, output_tokens, feedback_up,
    feedback_down, loads, opens)
SELECT tenant_id, day, agent_id, widget_id, key_id, SUM(conversations), SUM(runs),
    SUM(messages), SUM(input_chars), SUM(output_chars), SUM(input_tokens),
    SUM(output_tokens), SUM(feedback_up), SUM(feedback_down), SUM(loads), SUM(opens)
FROM (
    SELECT r.tenant_id, r.started_at / 86400000 AS day, r.agent_id, r.widget_id, r.key_id,
        CASE WHEN c.first_run_id IS NULL THEN 0 ELSE 1 END AS conversations,
        1 AS runs, 1 AS messages, r.input_chars, r.output_chars,
        COALESCE(r.input_tokens, 0) AS input_tokens,
        COALESCE(r.output_tokens, 0) AS output_tokens,
        0 AS feedback_up, 0 AS feedback_down, 0 AS loads, 0 AS opens
    FROM usage_runs r LEFT JOIN usage_conversations c ON c.first_run_id = r.id
    UNION ALL
    SELECT e.tenant_id, e.occurred_at / 86400000 AS day, e.agent_id, e.widget_id, e.key_id,
        0, 0, 0, 0, 0, 0, 0,
        CASE WHEN e.event_type = 'dev.sitekit.feedback' AND e.data LIKE '%"rating":"up"%'
            THEN 1 ELSE 0 END,
        CASE WHEN e.event_type = 'dev.sitekit.feedback' AND e.data NOT LIKE '%"rating":"up"%'
            THEN 1 ELSE 0 END,
        CASE WHEN e.event_type = 'dev.sitekit.widget.loaded' THEN 1 ELSE 0 END,
        CASE WHEN e.event_type = 'dev.sitekit.widget.opened' THEN 1 ELSE 0 END
    FROM usage_events e
    WHERE e.event_type IN ('dev.sitekit.feedback', 'dev.sitekit.widget.loaded',
        'dev.sitekit.widget.opened')
) counted
GROUP BY tenant_id, day, agent_id, widget_id, key_id;

INSERT INTO usage_daily_errors (tenant_id, day, agent_id, widget_id, key_id, code, runs)
SELECT tenant_id, started_at / 86400000, agent_id, widget_id, key_id, outcome, COUNT(*)
FROM usage_runs
WHERE outcome <> 'ok'
GROUP BY tenant_id, started_at / 86400000, agent_id, widget_id, key_id, outcome;

-- Exports read one tenant's run records by time (usage_runs_by_tenant) and
-- events by time (usage_events_by_tenant); the seller view reads every tenant's
-- roll-ups by day.
CREATE INDEX usage_daily_by_day ON usage_daily (day);
