-- Memberships the identity provider's organisations claim gives (1), rather
-- than an invitation or the operator (0): set again from the claim at each
-- sign-in, removed when the claim stops naming the organisation, and changed
-- only at the provider.
ALTER TABLE members ADD COLUMN from_claim BIGINT NOT NULL DEFAULT 0;
