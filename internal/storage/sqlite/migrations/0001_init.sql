-- 0001_init: user pools and the change log.
--
-- Times are INTEGER microseconds since the Unix epoch, UTC (the precision
-- PostgreSQL keeps, so both backends return the same values).

CREATE TABLE user_pools (
	id         TEXT    NOT NULL PRIMARY KEY,
	region     TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	-- config is the caller's JSON, stored byte for byte.
	config     BLOB    NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	version    INTEGER NOT NULL
);

CREATE INDEX user_pools_region_id ON user_pools (region, id);

CREATE TABLE change_log (
	seq    INTEGER PRIMARY KEY AUTOINCREMENT,
	region TEXT    NOT NULL,
	hlc    INTEGER NOT NULL,
	kind   TEXT    NOT NULL,
	entity TEXT    NOT NULL,
	"key"  TEXT    NOT NULL,
	-- state is the record's new state as JSON, NULL for a delete.
	state  BLOB
);
