-- What a widget asks of its visitors besides their questions: the CSAT
-- question, the contact form and the "talk to a person" button, and what
-- visitors answered (`engagement/`).

-- The widget's settings as JSON (`sitekit_sdk::wire::Engagement`), written
-- only from checked settings; `{}` is everything off.
ALTER TABLE widgets ADD COLUMN engagement TEXT NOT NULL DEFAULT '{}';

-- A visitor's contact details, one per conversation (thread), kept with it:
-- deleting the conversation, the visitor's data or the thread's retention
-- takes it too.
CREATE TABLE leads (
    -- `lead_…`.
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    widget_id TEXT NOT NULL,
    visitor_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    -- NULL when the form did not ask (`message`: or the visitor wrote none).
    name TEXT,
    email TEXT NOT NULL,
    message TEXT,
    -- The consent text the visitor agreed to, as the form showed it then.
    consent_text TEXT NOT NULL,
    -- Unix milliseconds.
    created_at BIGINT NOT NULL,
    UNIQUE (widget_id, visitor_id, thread_id)
);
-- The owner's list, newest first, one page after another.
CREATE INDEX leads_by_tenant ON leads (tenant_id, created_at, id);
CREATE INDEX leads_by_visitor ON leads (tenant_id, visitor_id);
CREATE INDEX leads_by_age ON leads (created_at);

-- A visitor asked for a person in a conversation: the first time stands
-- (the webhook goes out once).
CREATE TABLE handoff_requests (
    widget_id TEXT NOT NULL,
    visitor_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    PRIMARY KEY (widget_id, visitor_id, thread_id)
);
CREATE INDEX handoff_requests_by_visitor ON handoff_requests (tenant_id, visitor_id);
CREATE INDEX handoff_requests_by_age ON handoff_requests (requested_at);

-- A visitor's CSAT answer (1 to 5) for a conversation, from the page's
-- `dev.sitekit.csat` event: the first stands, as with answer ratings.
CREATE TABLE conversation_csat (
    widget_id TEXT NOT NULL,
    visitor_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    score BIGINT NOT NULL,
    -- Unix milliseconds: the event's own time.
    rated_at BIGINT NOT NULL,
    PRIMARY KEY (widget_id, visitor_id, thread_id)
);
CREATE INDEX conversation_csat_by_age ON conversation_csat (rated_at);

-- CSAT in the daily roll-ups: answers, and their scores added up (the day's
-- average is the one over the other).
ALTER TABLE usage_daily ADD COLUMN csat_responses BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_daily ADD COLUMN csat_score_sum BIGINT NOT NULL DEFAULT 0;
