-- What a marketplace (e.g. Waldur) provisions for a purchase: the subscription
-- and the widget carry the purchase's id there (a resource's uuid), unique in
-- their organisation, so provisioning the same purchase twice finds what the
-- first time made. NULL for subscriptions and widgets made by hand.
ALTER TABLE subscriptions ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX subscriptions_by_external_id ON subscriptions (buyer_id, external_id);
ALTER TABLE widgets ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX widgets_by_external_id ON widgets (tenant_id, external_id);

-- What the marketplace decides, apart from what the widget's owner sets:
-- paused (1 or 0; over the purchase's limit, the chat stops answering until
-- the marketplace restores it) and the messages a UTC month the purchase
-- covers (0: no budget).
ALTER TABLE widgets ADD COLUMN paused BIGINT NOT NULL DEFAULT 0;
ALTER TABLE widgets ADD COLUMN monthly_message_budget BIGINT NOT NULL DEFAULT 0;

-- A key's label, to tell keys apart (e.g. the purchase it was made for).
ALTER TABLE api_keys ADD COLUMN name TEXT;
