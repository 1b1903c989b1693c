-- Keys may expire (Unix seconds; NULL = never).

ALTER TABLE api_keys ADD COLUMN expires_at BIGINT;
