-- Client usage events (CloudEvents the SDK sends: widget loaded, opened,
-- message sent, feedback, a page's own `track`). Never billable: usage_runs is.

CREATE TABLE usage_events (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    agent_id TEXT NOT NULL REFERENCES agents (id),
    widget_id TEXT NOT NULL REFERENCES widgets (id),
    key_id TEXT NOT NULL REFERENCES api_keys (id),
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
-- Daily roll-ups and exports read one tenant's events by time.
CREATE INDEX usage_events_by_tenant ON usage_events (tenant_id, occurred_at);
