-- 0004_settings: store-wide settings (storage.Setting), such as the check
-- values of the encryption keys the data is sealed with and the token
-- issuer. Settings are not in the change log.

CREATE TABLE settings (
	name       TEXT    NOT NULL PRIMARY KEY,
	value      BLOB    NOT NULL,
	updated_at INTEGER NOT NULL,
	version    INTEGER NOT NULL
);
