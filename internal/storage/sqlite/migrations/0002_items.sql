-- 0002_items: the generic pool-scoped items (storage.Item), their unique
-- keys and their ordered index.
--
-- TEXT columns compare with SQLite's default BINARY collation (memcmp), so
-- IDs and keys sort by bytes, which for UTF-8 is code point order; the
-- prefix ranges of ScanIndex rely on it. data is the caller's JSON, stored
-- byte for byte. Times are INTEGER microseconds since the Unix epoch, UTC.

CREATE TABLE items (
	kind       TEXT    NOT NULL,
	id         TEXT    NOT NULL,
	pool       TEXT    NOT NULL,
	data       BLOB    NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	version    INTEGER NOT NULL,
	PRIMARY KEY (kind, id)
);

-- ListItems and CountItems: one pool's items of a kind, by ID.
CREATE INDEX items_kind_pool_id ON items (kind, pool, id);

-- item_keys holds the unique lookup keys: the primary key makes a key
-- unique within its kind. Deleting an item deletes its keys.
CREATE TABLE item_keys (
	kind  TEXT NOT NULL,
	"key" TEXT NOT NULL,
	id    TEXT NOT NULL,
	PRIMARY KEY (kind, "key"),
	FOREIGN KEY (kind, id) REFERENCES items (kind, id) ON DELETE CASCADE
) WITHOUT ROWID;

-- An item's keys, for reading them back, replacing them and the cascade.
CREATE INDEX item_keys_kind_id ON item_keys (kind, id, "key");

-- item_index holds the non-unique index entries ScanIndex walks in
-- (key, id) order through the primary key.
CREATE TABLE item_index (
	kind  TEXT NOT NULL,
	"key" TEXT NOT NULL,
	id    TEXT NOT NULL,
	PRIMARY KEY (kind, "key", id),
	FOREIGN KEY (kind, id) REFERENCES items (kind, id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE INDEX item_index_kind_id ON item_index (kind, id, "key");
