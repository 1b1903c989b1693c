-- The site owner's inbox: one row per thread (a visitor's conversation with
-- one widget) while any of its messages is kept, written with the thread's
-- turns. What a conversation shows besides (runs, outcomes, ratings, message
-- counts) is read from the tables that hold it, through the indexes below.
-- The full-text index over the messages is each database's own (FTS5, a GIN
-- index): the server makes it on start (`conversations/search.rs`).

CREATE TABLE conversations (
    -- `cnv_…`: how the admin API names a conversation.
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    widget_id TEXT NOT NULL,
    visitor_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    -- Unix milliseconds: the first and the latest message.
    started_at BIGINT NOT NULL,
    last_message_at BIGINT NOT NULL,
    UNIQUE (widget_id, visitor_id, thread_id)
);
-- The inbox, newest first, one page after another.
CREATE INDEX conversations_by_tenant ON conversations (tenant_id, last_message_at, id);
-- Retention, and a visitor's data-subject request.
CREATE INDEX conversations_by_age ON conversations (last_message_at);
CREATE INDEX conversations_by_visitor ON conversations (tenant_id, visitor_id);

-- A visitor's rating of one answer (a run), from the page's feedback event.
-- The first rating of a run stands: the widget offers one, and a rating sent
-- again (a retry, a second tab) changes nothing.
CREATE TABLE run_ratings (
    widget_id TEXT NOT NULL,
    visitor_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    -- `up` or `down`.
    rating TEXT NOT NULL,
    -- Unix milliseconds: the event's own time.
    rated_at BIGINT NOT NULL,
    PRIMARY KEY (widget_id, visitor_id, run_id)
);
CREATE INDEX run_ratings_by_thread ON run_ratings (widget_id, visitor_id, thread_id);

-- A conversation's runs: their outcomes, tokens and times.
CREATE INDEX usage_runs_by_conversation ON usage_runs (widget_id, visitor_id, thread_id, started_at);

-- The threads kept so far.
INSERT INTO conversations (id, tenant_id, widget_id, visitor_id, thread_id, started_at,
    last_message_at)
SELECT 'cnv_' || substr(MIN(m.id), 5), w.tenant_id, m.widget_id, m.visitor_id, m.thread_id,
    MIN(m.created_at), MAX(m.created_at)
FROM thread_messages m JOIN widgets w ON w.id = m.widget_id
GROUP BY w.tenant_id, m.widget_id, m.visitor_id, m.thread_id;

-- A secret key holds every admin scope of its organisation, the new one too.
UPDATE api_keys SET scopes = scopes || ' conversations:read' WHERE kind = 'sec';
