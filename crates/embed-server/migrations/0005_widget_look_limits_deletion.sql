-- More of a widget's look and limits, and deletion that keeps the key history:
-- starter prompts (a JSON array of strings), an avatar image URL, a per-visitor
-- message rate (0 = the server's default), and `deleted_at` for widgets and agents
-- (their keys and audit events stay, so the trail stays whole).

ALTER TABLE widgets ADD COLUMN starter_prompts TEXT NOT NULL DEFAULT '[]';
ALTER TABLE widgets ADD COLUMN avatar_url TEXT;
ALTER TABLE widgets ADD COLUMN messages_per_visitor_per_minute BIGINT NOT NULL DEFAULT 0;
ALTER TABLE widgets ADD COLUMN deleted_at BIGINT;
ALTER TABLE agents ADD COLUMN deleted_at BIGINT;
