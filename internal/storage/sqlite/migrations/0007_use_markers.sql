-- 0007_use_markers: the use markers of use-once values (storage.Marker),
-- in a table of their own.
--
-- A marker is a row keyed by its ID with its expiry (INTEGER microseconds
-- since the Unix epoch, UTC) and its writer's data: creating one writes
-- the row and its expiry's index entry, where an item of kind
-- auth_session wrote its row, its (kind, pool, id) entry and an expiring
-- index entry with its reverse. A pool's markers have IDs under
-- "<pool>/", which deleting the pool removes by a range of the key.
--
-- The markers the sign-in engine kept as items (ID "<pool>/used/<state>")
-- are copied here so that a Session used before the upgrade stays used
-- after it. Their own expiry is in their index entry; each is given 20
-- minutes from now instead, which is at least as long (a state lives at
-- most 15 minutes and its marker 5 minutes more). The items themselves
-- are left to the engine's sweep of expired auth_session items.

CREATE TABLE use_markers (
	id         TEXT    NOT NULL PRIMARY KEY,
	expires_at INTEGER NOT NULL,
	data       BLOB
) WITHOUT ROWID;

-- SweepMarkers: the oldest expiries first.
CREATE INDEX use_markers_expires_at ON use_markers (expires_at);

INSERT INTO use_markers (id, expires_at, data)
SELECT id, (CAST(strftime('%s', 'now') AS INTEGER) + 1200) * 1000000, data
FROM items WHERE kind = 'auth_session' AND id LIKE '%/used/%';
