-- An organisation's id in the marketplace that provisions it (e.g. a Waldur
-- customer's uuid), so provisioning twice finds the one made the first time.
-- NULL for organisations made by hand; unique otherwise.
ALTER TABLE tenants ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX tenants_by_external_id ON tenants (external_id);
