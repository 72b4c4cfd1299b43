-- 0004_settings: store-wide settings (storage.Setting), such as the check
-- values of the encryption keys the data is sealed with and the token
-- issuer. Settings are not in the change log. value is BYTEA so the
-- caller's JSON comes back byte for byte.

CREATE TABLE settings (
	name       TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	value      BYTEA       NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	version    BIGINT      NOT NULL
);
