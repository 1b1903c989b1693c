-- A widget's daily message budget (0 = unlimited) and the messages counted
-- against it, per UTC day.

ALTER TABLE widgets ADD COLUMN daily_message_budget BIGINT NOT NULL DEFAULT 0;

CREATE TABLE widget_daily_messages (
    widget_id TEXT NOT NULL REFERENCES widgets (id),
    day BIGINT NOT NULL,
    messages BIGINT NOT NULL,
    PRIMARY KEY (widget_id, day)
);
