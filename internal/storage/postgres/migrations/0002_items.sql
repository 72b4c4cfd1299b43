-- 0002_items: the generic pool-scoped items (storage.Item), their unique
-- keys and their ordered index.
--
-- Every TEXT column uses the "C" collation, so IDs and keys compare and
-- sort by bytes (for UTF-8, code point order) as in SQLite, whatever the
-- database's default collation; the prefix ranges of ScanIndex rely on it,
-- and only "C" lets a btree serve them. data is BYTEA so the caller's JSON
-- comes back byte for byte.

CREATE TABLE items (
	kind       TEXT COLLATE "C" NOT NULL,
	id         TEXT COLLATE "C" NOT NULL,
	pool       TEXT COLLATE "C" NOT NULL,
	data       BYTEA       NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	version    BIGINT      NOT NULL,
	PRIMARY KEY (kind, id)
);

-- ListItems and CountItems: one pool's items of a kind, by ID.
CREATE INDEX items_kind_pool_id ON items (kind, pool, id);

-- item_keys holds the unique lookup keys: the primary key makes a key
-- unique within its kind. Deleting an item deletes its keys.
CREATE TABLE item_keys (
	kind  TEXT COLLATE "C" NOT NULL,
	"key" TEXT COLLATE "C" NOT NULL,
	id    TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (kind, "key"),
	FOREIGN KEY (kind, id) REFERENCES items (kind, id) ON DELETE CASCADE
);

-- An item's keys in order, read by index-only scans, and the cascade.
CREATE INDEX item_keys_kind_id ON item_keys (kind, id, "key");

-- item_index holds the non-unique index entries ScanIndex walks in
-- (key, id) order through the primary key.
CREATE TABLE item_index (
	kind  TEXT COLLATE "C" NOT NULL,
	"key" TEXT COLLATE "C" NOT NULL,
	id    TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (kind, "key", id),
	FOREIGN KEY (kind, id) REFERENCES items (kind, id) ON DELETE CASCADE
);

CREATE INDEX item_index_kind_id ON item_index (kind, id, "key");
