-- 0001_init: user pools and the change log.
--
-- IDs and regions use the "C" collation so that ORDER BY id and id > $1
-- compare bytes, as SQLite does, whatever the database's default collation.

CREATE TABLE user_pools (
	id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	region     TEXT COLLATE "C" NOT NULL,
	name       TEXT        NOT NULL,
	-- config is the caller's JSON, stored byte for byte (BYTEA, not JSONB,
	-- which would reorder keys and drop whitespace).
	config     BYTEA       NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	version    BIGINT      NOT NULL
);

CREATE INDEX user_pools_region_id ON user_pools (region, id);

-- Rows are inserted only under the change-log advisory lock (see doc.go),
-- so seq values commit in increasing order.
CREATE TABLE change_log (
	seq    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	region TEXT   NOT NULL,
	hlc    BIGINT NOT NULL,
	kind   TEXT   NOT NULL,
	entity TEXT   NOT NULL,
	"key"  TEXT   NOT NULL,
	-- state is the record's new state as JSON, NULL for a delete.
	state  BYTEA
);
