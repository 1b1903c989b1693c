-- Usage events without foreign keys. Each stored event made the database
-- check four (tenant, agent, widget, key) and lock those rows: on PostgreSQL
-- that tripled an insert's cost (59 µs a row against 19 µs, measured), and every
-- concurrent batch of a widget locked the same four rows. Nothing is lost:
-- the server writes an event only for the widget it has just looked up, and
-- tenants, agents, widgets and keys are never deleted (they are revoked or
-- disabled), so no event can name one that is not there. (The roll-ups of
-- 0010 keep no references either; usage_runs still checks its own.)
--
-- Neither database drops a column's foreign key in place in SQL both accept:
-- the table is made again and its rows copied (once, when a server upgrades).

CREATE TABLE usage_events_unchecked (
    tenant_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    widget_id TEXT NOT NULL,
    key_id TEXT NOT NULL,
    visitor_id TEXT NOT NULL,
    -- The CloudEvents `source` and `id`, as the browser sent them.
    source TEXT NOT NULL,
    event_id TEXT NOT NULL,
    -- One of the SDK's `usage_types`, e.g. `dev.sitekit.widget.opened`.
    event_type TEXT NOT NULL,
    -- Unix milliseconds: the event's own `time`, and when the server stored it.
    occurred_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    -- The event's `data` as JSON text; NULL when it had none.
    data TEXT,
    -- The dedupe key: an event sent again (a retry, a second tab, a concurrent
    -- flush) is stored once, whichever node receives it.
    PRIMARY KEY (widget_id, source, event_id)
);

INSERT INTO usage_events_unchecked (tenant_id, agent_id, widget_id, key_id, visitor_id,
    source, event_id, event_type, occurred_at, received_at, data)
SELECT tenant_id, agent_id, widget_id, key_id, visitor_id,
    source, event_id, event_type, occurred_at, received_at, data
FROM usage_events;

DROP TABLE usage_events;
ALTER TABLE usage_events_unchecked RENAME TO usage_events;
-- Daily roll-ups and exports read one tenant's events by time.
CREATE INDEX usage_events_by_tenant ON usage_events (tenant_id, occurred_at);
