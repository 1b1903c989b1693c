-- Client usage events accepted per widget and UTC day (of their arrival), for
-- the widget's daily cap; kept as long as the events themselves.

CREATE TABLE usage_event_days (
    widget_id TEXT NOT NULL,
    -- Days since 1970-01-01 (UTC).
    day BIGINT NOT NULL,
    accepted BIGINT NOT NULL,
    PRIMARY KEY (widget_id, day)
);
