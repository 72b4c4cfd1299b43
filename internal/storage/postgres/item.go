package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/cognate-dev/cognate/internal/storage"
)

// itemCols selects an item i with its keys and index entries, read in order
// by index-only scans of the (kind, id, key) indexes, so one statement
// returns each item whole from one snapshot. Only a locking read must not
// use it (see getItemLocked).
const itemCols = `i.kind, i.id, i.pool, i.data, i.created_at, i.updated_at, i.version,
	ARRAY(SELECT k."key" FROM item_keys k WHERE k.kind = i.kind AND k.id = i.id ORDER BY k."key"),
	ARRAY(SELECT x."key" FROM item_index x WHERE x.kind = i.kind AND x.id = i.id ORDER BY x."key")`

// itemDataCols selects the columns of itemCols without reading the keys and
// index entries (NULL for both): ScanInput.DataOnly.
const itemDataCols = `i.kind, i.id, i.pool, i.data, i.created_at, i.updated_at, i.version, NULL::text[], NULL::text[]`

// The item queries with fixed text; TestItemQueryPlans checks their plans.
const (
	getQuery = `SELECT ` + itemCols + `
		FROM items i WHERE i.kind = $1 AND i.id = $2`
	getByKeyQuery = `SELECT ` + itemCols + `
		FROM item_keys k0 JOIN items i ON i.kind = k0.kind AND i.id = k0.id
		WHERE k0.kind = $1 AND k0."key" = $2`
	listQuery = `SELECT ` + itemCols + `
		FROM items i WHERE i.kind = $1 AND i.pool = $2 AND i.id > $3
		ORDER BY i.id LIMIT $4`
	countQuery = `SELECT count(*) FROM items WHERE kind = $1 AND pool = $2`
)

// scanItem reads the columns of itemCols, after any columns in pre.
func scanItem(row pgx.Row, pre ...any) (*storage.Item, error) {
	var it storage.Item
	dest := append(pre, &it.Kind, &it.ID, &it.Pool, &it.Data, &it.CreatedAt, &it.UpdatedAt, &it.Version,
		&it.Keys, &it.Index)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	return fixItem(&it), nil
}

// fixItem gives a scanned item the shape the store returns: nil for empty
// Data, Keys and Index, and times in UTC.
func fixItem(it *storage.Item) *storage.Item {
	if len(it.Data) == 0 {
		it.Data = nil
	}
	if len(it.Keys) == 0 {
		it.Keys = nil
	}
	if len(it.Index) == 0 {
		it.Index = nil
	}
	it.CreatedAt = it.CreatedAt.UTC()
	it.UpdatedAt = it.UpdatedAt.UTC()
	return it
}

// minus returns the elements of a not in b; both are sorted sets.
func minus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if _, found := slices.BinarySearch(b, s); !found {
			out = append(out, s)
		}
	}
	return out
}

// ItemReader on the DB: each call is one statement, without locks.

// GetItem returns the item of kind with id, or storage.ErrNotFound.
//
// An item of a kind declared cacheable (storage.DeclareCached) comes from the
// read cache when it is on and this node has read the item since the last
// write of a cached record it heard of (cache.go); so does its absence
// (storage.ErrNotFound), once a read found none.
//
// An item of a kind declared cacheable by key (storage.DeclareCachedByKey:
// users) comes from the read cache as GetItemByKey's do, kept under its ID
// in the place of a key (idKey).
func (db *DB) GetItem(ctx context.Context, kind, id string) (*storage.Item, error) {
	if storage.KindCachedByKey(kind) {
		return db.getItemCachedByKey(ctx, kind, idKey(id), func() (*storage.Item, error) {
			return getItem(ctx, db.pool, kind, id)
		})
	}
	if !storage.KindCached(kind) {
		return getItem(ctx, db.pool, kind, id)
	}
	it, gen, ok := db.cache.Item(kind, id)
	if ok {
		return it, nil
	}
	if db.cache.Absent(kind, id) {
		return nil, fmt.Errorf("get %s %q: %w", kind, id, storage.ErrNotFound)
	}
	it, err := getItem(ctx, db.pool, kind, id)
	if errors.Is(err, storage.ErrNotFound) {
		db.cache.PutAbsent(kind, id, gen)
	}
	if err != nil {
		return nil, err
	}
	db.cache.PutItem(it, gen)
	return it, nil
}

var _ storage.ItemsGetter = (*DB)(nil)

// getItemsQuery reads the items named by kind and ID ($1 and $2 the first,
// $3 and $4 the second, …), each with its place among them, 1 to n: one
// getQuery for each, so that each finds its item by the primary key
// whatever plan the server caches (an array of IDs joined to items may be
// planned as a scan of the table). A place that markers marks reads the
// marker with the ID instead (markerArm), with one parameter.
func getItemsQuery(markers []bool) string {
	var b strings.Builder
	p := 1
	for i, marker := range markers {
		if i > 0 {
			b.WriteString("\n\t\tUNION ALL ")
		}
		if marker {
			fmt.Fprintf(&b, "SELECT %d, "+markerArm, i+1, p)
			p++
			continue
		}
		fmt.Fprintf(&b, "SELECT %d, %s\n\t\tFROM items i WHERE i.kind = $%d AND i.id = $%d", i+1, itemCols, p, p+1)
		p += 2
	}
	return b.String()
}

// GetItems returns the items refs name, in the order of refs, with nil for
// each that does not exist: those of cacheable kinds as GetItem reads them,
// the others (and markers, storage.MarkerKind) in one statement.
func (db *DB) GetItems(ctx context.Context, refs []storage.ItemRef) ([]*storage.Item, error) {
	out, rest, err := db.itemsToQuery(ctx, refs)
	if err != nil {
		return nil, err
	}
	switch {
	case len(rest.at) == 0:
		return out, nil
	case len(rest.at) == 1 && rest.markers[0]:
		m, err := getMarker(ctx, db.pool, rest.args[0].(string))
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return nil, err
		}
		if m != nil {
			out[rest.at[0]] = storage.MarkerItem(m)
		}
		return out, nil
	case len(rest.at) == 1:
		it, err := getItem(ctx, db.pool, rest.args[0].(string), rest.args[1].(string))
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return nil, err
		}
		out[rest.at[0]] = it
		return out, nil
	}
	rows, err := db.pool.Query(ctx, getItemsQuery(rest.markers), rest.args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: get %d items: %w", len(rest.at), err)
	}
	if err := rest.read(rows, out); err != nil {
		return nil, err
	}
	return out, nil
}

var _ storage.ItemsScanner = (*DB)(nil)

// GetItemsScan returns what GetItems(refs) and ScanIndex(scan) return, in
// one round trip: the items' statement and the scan's go to the server
// in one pgx batch. (Items of cacheable kinds are read as GetItem reads
// them, as in GetItems.)
func (db *DB) GetItemsScan(ctx context.Context, refs []storage.ItemRef, scan storage.ScanInput) ([]*storage.Item, []storage.IndexEntry, error) {
	if scan.Limit <= 0 {
		return nil, nil, fmt.Errorf("postgres: scan %s index: limit %d is not positive", scan.Kind, scan.Limit)
	}
	out, rest, err := db.itemsToQuery(ctx, refs)
	if err != nil {
		return nil, nil, err
	}
	query, args := scanQuery(scan)
	b := &pgx.Batch{}
	if len(rest.at) > 0 {
		b.Queue(getItemsQuery(rest.markers), rest.args...)
	}
	if query != "" {
		b.Queue(query, args...)
	}
	if b.Len() == 0 {
		return out, nil, nil
	}
	br := db.pool.SendBatch(ctx, b)
	defer br.Close()
	if len(rest.at) > 0 {
		rows, err := br.Query()
		if err != nil {
			return nil, nil, fmt.Errorf("postgres: get %d items: %w", len(rest.at), err)
		}
		if err := rest.read(rows, out); err != nil {
			return nil, nil, err
		}
	}
	var entries []storage.IndexEntry
	if query != "" {
		rows, err := br.Query()
		if err != nil {
			return nil, nil, fmt.Errorf("postgres: scan %s index: %w", scan.Kind, err)
		}
		if entries, err = collectEntries(rows); err != nil {
			return nil, nil, fmt.Errorf("postgres: scan %s index: %w", scan.Kind, err)
		}
	}
	if err := br.Close(); err != nil {
		return nil, nil, fmt.Errorf("postgres: get %d items and scan %s index: %w", len(rest.at), scan.Kind, err)
	}
	return out, entries, nil
}

// itemsQuery is what of a GetItems is left for one statement
// (getItemsQuery) once the items of cacheable kinds are read: the
// statement's arguments, the place in the result of each item it reads,
// and which of those are markers.
type itemsQuery struct {
	args    []any
	at      []int
	markers []bool
}

// itemsToQuery returns the result of GetItems(refs) with the items of
// cacheable kinds read (as GetItem reads them), and what is left to read in
// one statement.
func (db *DB) itemsToQuery(ctx context.Context, refs []storage.ItemRef) ([]*storage.Item, *itemsQuery, error) {
	out := make([]*storage.Item, len(refs))
	q := &itemsQuery{}
	for i, ref := range refs {
		if ref.Kind == storage.MarkerKind {
			q.args, q.at, q.markers = append(q.args, ref.ID), append(q.at, i), append(q.markers, true)
			continue
		}
		if !storage.KindCached(ref.Kind) {
			q.args, q.at, q.markers = append(q.args, ref.Kind, ref.ID), append(q.at, i), append(q.markers, false)
			continue
		}
		it, err := db.GetItem(ctx, ref.Kind, ref.ID)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		out[i] = it
	}
	return out, q, nil
}

// read puts the items of the statement's rows in their places in out, and
// closes rows.
func (q *itemsQuery) read(rows pgx.Rows, out []*storage.Item) error {
	defer rows.Close()
	for rows.Next() {
		var n int32
		it, err := scanItem(rows, &n)
		if err != nil {
			return fmt.Errorf("postgres: get %d items: %w", len(q.at), err)
		}
		if n < 1 || int(n) > len(q.at) {
			return fmt.Errorf("postgres: get %d items: place %d out of range", len(q.at), n)
		}
		if q.markers[n-1] {
			it = storage.MarkerItem(&storage.Marker{ID: it.ID, Data: it.Data})
		}
		out[q.at[n-1]] = it
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: get %d items: %w", len(q.at), err)
	}
	return nil
}

// GetItemByKey returns the item of kind holding key, or storage.ErrNotFound.
//
// An item of a kind declared cacheable by key (storage.DeclareCachedByKey:
// users) comes from the read cache when it is on and this node has read it
// by that key since the last write of such an item or of a cached record
// it heard of (cache.go).
func (db *DB) GetItemByKey(ctx context.Context, kind, key string) (*storage.Item, error) {
	if !storage.KindCachedByKey(kind) {
		return getItemByKey(ctx, db.pool, kind, key)
	}
	return db.getItemCachedByKey(ctx, kind, key, func() (*storage.Item, error) {
		return getItemByKey(ctx, db.pool, kind, key)
	})
}

// getItemCachedByKey returns the item of kind the read cache keeps under
// key, or else reads it with read and keeps it there.
func (db *DB) getItemCachedByKey(ctx context.Context, kind, key string, read func() (*storage.Item, error)) (*storage.Item, error) {
	it, gen, ok := db.cache.ItemByKey(kind, key)
	if ok {
		return it, nil
	}
	it, err := read()
	if err != nil {
		return nil, err
	}
	db.cache.PutItemByKey(key, it, gen)
	return it, nil
}

// idKey is the place in the read cache of an item of a kind cacheable by
// key read by its ID: the ID after a NUL byte, which no key holds
// (PostgreSQL's text cannot).
func idKey(id string) string { return "\x00" + id }

// ListItems returns a page of one pool's items of a kind, in ID order.
func (db *DB) ListItems(ctx context.Context, in storage.ListItemsInput) ([]*storage.Item, error) {
	return listItems(ctx, db.pool, in)
}

// ScanIndex returns a page of index entries in (key, ID) order.
func (db *DB) ScanIndex(ctx context.Context, in storage.ScanInput) ([]storage.IndexEntry, error) {
	return scanIndex(ctx, db.pool, in)
}

// CountItems returns how many items of kind belong to pool.
func (db *DB) CountItems(ctx context.Context, kind, pool string) (int64, error) {
	return countItems(ctx, db.pool, kind, pool)
}

func getItem(ctx context.Context, q querier, kind, id string) (*storage.Item, error) {
	it, err := scanItem(q.QueryRow(ctx, getQuery, kind, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("get %s %q: %w", kind, id, storage.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get %s %q: %w", kind, id, err)
	}
	return it, nil
}

func getItemByKey(ctx context.Context, q querier, kind, key string) (*storage.Item, error) {
	it, err := scanItem(q.QueryRow(ctx, getByKeyQuery, kind, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("get %s by key %q: %w", kind, key, storage.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get %s by key %q: %w", kind, key, err)
	}
	return it, nil
}

func listItems(ctx context.Context, q querier, in storage.ListItemsInput) ([]*storage.Item, error) {
	if in.Limit <= 0 {
		return nil, fmt.Errorf("postgres: list %s: limit %d is not positive", in.Kind, in.Limit)
	}
	rows, err := q.Query(ctx, listQuery, in.Kind, in.Pool, in.AfterID, in.Limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: list %s: %w", in.Kind, err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*storage.Item, error) {
		return scanItem(row)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list %s: %w", in.Kind, err)
	}
	return items, nil
}

// scanQuery returns the ScanIndex statement for in, or "" when no entry can
// match. The range always starts at one bound on the primary key of
// item_index, (kind, key, id): the prefix, or the cursor when it lies
// inside the prefix range, so that a page costs what it returns however
// deep it is. Prefixes are compared, never matched with LIKE, so no
// character is special.
func scanQuery(in storage.ScanInput) (string, []any) {
	var (
		where []string
		args  []any
		after = in.AfterKey != "" || in.AfterID != ""
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where = append(where, `x0.kind = `+arg(in.Kind))
	switch {
	case in.Exact && after && in.AfterKey > in.Prefix:
		return "", nil
	case in.Exact && after && in.AfterKey == in.Prefix:
		where = append(where, `x0."key" = `+arg(in.Prefix), `x0.id > `+arg(in.AfterID))
	case in.Exact:
		where = append(where, `x0."key" = `+arg(in.Prefix))
	default:
		if after && in.AfterKey >= in.Prefix {
			where = append(where, `(x0."key", x0.id) > (`+arg(in.AfterKey)+`, `+arg(in.AfterID)+`)`)
		} else {
			where = append(where, `x0."key" >= `+arg(in.Prefix))
		}
		if end, ok := storage.PrefixEnd(in.Prefix); ok {
			where = append(where, `x0."key" < `+arg(end))
		}
	}
	// The page is cut from the index range first, and each entry then
	// fetches its item through a LATERAL subquery that its LIMIT keeps
	// from being flattened into a join, so it can only run as a nested
	// loop of primary-key lookups. A plain join lets the planner pick a
	// merge join that walks items from the start of the kind, whose cost
	// grows with the cursor's depth.
	limit := arg(in.Limit)
	cols := itemCols
	if in.DataOnly {
		cols = itemDataCols
	}
	return `SELECT x0."key", ` + cols + `
		FROM (SELECT kind, "key", id FROM item_index x0
			WHERE ` + strings.Join(where, " AND ") + `
			ORDER BY "key", id LIMIT ` + limit + `) x0
		CROSS JOIN LATERAL (SELECT * FROM items
			WHERE items.kind = x0.kind AND items.id = x0.id LIMIT 1) i
		ORDER BY x0."key", x0.id`, args
}

func scanIndex(ctx context.Context, q querier, in storage.ScanInput) ([]storage.IndexEntry, error) {
	if in.Limit <= 0 {
		return nil, fmt.Errorf("postgres: scan %s index: limit %d is not positive", in.Kind, in.Limit)
	}
	query, args := scanQuery(in)
	if query == "" {
		return nil, nil
	}
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: scan %s index: %w", in.Kind, err)
	}
	entries, err := collectEntries(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: scan %s index: %w", in.Kind, err)
	}
	return entries, nil
}

// collectEntries reads the index entries of a scanQuery's rows, and closes
// rows.
func collectEntries(rows pgx.Rows) ([]storage.IndexEntry, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (storage.IndexEntry, error) {
		var e storage.IndexEntry
		var err error
		e.Item, err = scanItem(row, &e.Key)
		return e, err
	})
}

func countItems(ctx context.Context, q querier, kind, pool string) (int64, error) {
	var n int64
	if err := q.QueryRow(ctx, countQuery, kind, pool).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count %s: %w", kind, err)
	}
	return n, nil
}

// ItemReader on a txn: the same statements inside the transaction, except
// that GetItem and GetItemByKey lock the item's row.

// GetItem returns the item of kind with id, or storage.ErrNotFound, and locks
// its row until the transaction ends.
func (t *txn) GetItem(ctx context.Context, kind, id string) (*storage.Item, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	it, err := t.getItemLocked(ctx, kind, id)
	return it, t.readErr(err)
}

// getItemLocked reads the item row with SELECT … FOR UPDATE and then, in a
// second statement of the same round trip, its keys and index entries. One
// statement cannot do both: when FOR UPDATE waits for a concurrent writer,
// READ COMMITTED returns the writer's new row but evaluates subqueries with
// the snapshot taken before the wait, which would pair the new row with
// the old keys. The second statement's snapshot is taken after the lock is
// held, and the keys change only under that lock.
func (t *txn) getItemLocked(ctx context.Context, kind, id string) (*storage.Item, error) {
	b := &pgx.Batch{}
	b.Queue(`SELECT kind, id, pool, data, created_at, updated_at, version
		FROM items WHERE kind = $1 AND id = $2 FOR UPDATE`, kind, id)
	b.Queue(`SELECT
		ARRAY(SELECT "key" FROM item_keys WHERE kind = $1 AND id = $2 ORDER BY "key"),
		ARRAY(SELECT "key" FROM item_index WHERE kind = $1 AND id = $2 ORDER BY "key")`, kind, id)
	br := t.tx.SendBatch(ctx, b)
	var it storage.Item
	err := br.QueryRow().Scan(&it.Kind, &it.ID, &it.Pool, &it.Data, &it.CreatedAt, &it.UpdatedAt, &it.Version)
	if err == nil || errors.Is(err, pgx.ErrNoRows) {
		if kerr := br.QueryRow().Scan(&it.Keys, &it.Index); kerr != nil {
			err = kerr
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("get %s %q: %w", kind, id, storage.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get %s %q: %w", kind, id, err)
	}
	return fixItem(&it), nil
}

// keyMoves bounds how often GetItemByKey in a Tx follows a key that moved to
// another item while it waited for a lock.
const keyMoves = 10

// GetItemByKey returns the item of kind holding key, or storage.ErrNotFound,
// and locks its row until the transaction ends. It looks the key up, locks
// and reads the item, and checks that the item still holds the key: a
// concurrent writer may have moved it while the lock was awaited, and then
// the lookup starts again.
func (t *txn) GetItemByKey(ctx context.Context, kind, key string) (*storage.Item, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	for range keyMoves {
		var id string
		err := t.tx.QueryRow(ctx, `SELECT id FROM item_keys WHERE kind = $1 AND "key" = $2`, kind, key).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("get %s by key %q: %w", kind, key, storage.ErrNotFound)
		}
		if err != nil {
			return nil, t.fail(fmt.Errorf("postgres: get %s by key %q: %w", kind, key, err))
		}
		it, err := t.getItemLocked(ctx, kind, id)
		if errors.Is(err, storage.ErrNotFound) {
			continue // deleted meanwhile; the key may be another item's now
		}
		if err != nil {
			return nil, t.fail(err)
		}
		if _, found := slices.BinarySearch(it.Keys, key); found {
			return it, nil
		}
	}
	return nil, fmt.Errorf("get %s by key %q: the key kept moving: %w", kind, key, storage.ErrConflict)
}

// ListItems returns a page of one pool's items of a kind, in ID order.
func (t *txn) ListItems(ctx context.Context, in storage.ListItemsInput) ([]*storage.Item, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	items, err := listItems(ctx, t.tx, in)
	return items, t.readErr(err)
}

// ScanIndex returns a page of index entries in (key, ID) order.
func (t *txn) ScanIndex(ctx context.Context, in storage.ScanInput) ([]storage.IndexEntry, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	entries, err := scanIndex(ctx, t.tx, in)
	return entries, t.readErr(err)
}

// CountItems returns how many items of kind belong to pool.
func (t *txn) CountItems(ctx context.Context, kind, pool string) (int64, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	n, err := countItems(ctx, t.tx, kind, pool)
	return n, t.readErr(err)
}

// CreateItem stores it with version 1 and sets it.Version to 1. One
// statement inserts the item, its keys and its index entries, each with ON
// CONFLICT DO NOTHING, which waits for a concurrent inserter of the same ID
// or key to finish instead of failing (a unique_violation would abort the
// whole transaction). When the ID exists nothing is inserted; when another
// item holds a key, a second statement deletes the new item, and with it
// (ON DELETE CASCADE) the keys and index entries just inserted, so the
// transaction is as it was.
func (t *txn) CreateItem(ctx context.Context, it *storage.Item) error {
	if err := t.check(); err != nil {
		return err
	}
	t.noteWrite(it.Kind)
	rec, err := storage.NormalizeItem(it, 1)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	rep, state, err := storage.ChangeState(&rec)
	if err != nil {
		return err
	}
	var (
		created  bool
		inserted []string
	)
	err = t.tx.QueryRow(ctx, `WITH ins AS (
			INSERT INTO items (kind, id, pool, data, created_at, updated_at, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT DO NOTHING
			RETURNING kind, id
		), k AS (
			INSERT INTO item_keys (kind, "key", id)
			SELECT ins.kind, u.k, ins.id FROM ins, unnest($8::text[]) AS u(k)
			ON CONFLICT DO NOTHING
			RETURNING "key"
		), x AS (
			INSERT INTO item_index (kind, "key", id)
			SELECT ins.kind, u.k, ins.id FROM ins, unnest($9::text[]) AS u(k)
		)
		SELECT EXISTS (SELECT FROM ins), ARRAY(SELECT "key" FROM k)`,
		rec.Kind, rec.ID, rec.Pool, notNull(rec.Data), rec.CreatedAt, rec.UpdatedAt, rec.Version,
		rec.Keys, rec.Index).Scan(&created, &inserted)
	if err != nil {
		return t.fail(fmt.Errorf("postgres: create %s %q: %w", rec.Kind, rec.ID, err))
	}
	if !created {
		return fmt.Errorf("create %s %q: %w", rec.Kind, rec.ID, storage.ErrAlreadyExists)
	}
	if len(inserted) < len(rec.Keys) {
		slices.Sort(inserted)
		taken := minus(rec.Keys, inserted)[0]
		if _, err := t.tx.Exec(ctx, `DELETE FROM items WHERE kind = $1 AND id = $2`, rec.Kind, rec.ID); err != nil {
			return t.fail(fmt.Errorf("postgres: create %s %q: undo: %w", rec.Kind, rec.ID, err))
		}
		return &storage.KeyConflictError{Kind: rec.Kind, Key: taken}
	}
	if rep == storage.Replicated {
		t.logChange(storage.ChangeCreate, storage.Entity(rec.Kind), rec.ID, rec.Pool, state)
	}
	it.Version = rec.Version
	return nil
}

// UpdateItem replaces the item, its keys and its index entries when
// it.Version is the stored version, and sets it.Version to the new version.
// It locks the row and reads the stored version, keys and index entries
// (as getItemLocked does), inserts the keys the item did not hold with ON
// CONFLICT DO NOTHING, and on a conflict deletes those it inserted and
// returns, having written nothing; only then does it update the row and
// replace the rest.
func (t *txn) UpdateItem(ctx context.Context, it *storage.Item) error {
	if err := t.check(); err != nil {
		return err
	}
	t.noteWrite(it.Kind)
	rec, err := storage.NormalizeItem(it, it.Version+1)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	rep, state, err := storage.ChangeState(&rec)
	if err != nil {
		return err
	}
	var (
		version              int64
		oldKeys, oldIndex    []string
		kind, id             = rec.Kind, rec.ID
		errOp                = func(err error) error { return fmt.Errorf("postgres: update %s %q: %w", kind, id, err) }
		addedKeys, addedIdx  []string
		droppedKeys, dropIdx []string
	)
	b := &pgx.Batch{}
	b.Queue(`SELECT version FROM items WHERE kind = $1 AND id = $2 FOR UPDATE`, kind, id)
	b.Queue(`SELECT
		ARRAY(SELECT "key" FROM item_keys WHERE kind = $1 AND id = $2 ORDER BY "key"),
		ARRAY(SELECT "key" FROM item_index WHERE kind = $1 AND id = $2 ORDER BY "key")`, kind, id)
	br := t.tx.SendBatch(ctx, b)
	err = br.QueryRow().Scan(&version)
	if err == nil || errors.Is(err, pgx.ErrNoRows) {
		if kerr := br.QueryRow().Scan(&oldKeys, &oldIndex); kerr != nil {
			err = kerr
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("update %s %q: %w", kind, id, storage.ErrNotFound)
	case err != nil:
		return t.fail(errOp(err))
	case version != it.Version:
		return fmt.Errorf("update %s %q: stored version is %d: %w", kind, id, version, storage.ErrConflict)
	}
	addedKeys, droppedKeys = minus(rec.Keys, oldKeys), minus(oldKeys, rec.Keys)
	addedIdx, dropIdx = minus(rec.Index, oldIndex), minus(oldIndex, rec.Index)

	if len(addedKeys) > 0 {
		rows, err := t.tx.Query(ctx, `INSERT INTO item_keys (kind, "key", id)
			SELECT $1, u.k, $2 FROM unnest($3::text[]) AS u(k)
			ON CONFLICT DO NOTHING
			RETURNING "key"`, kind, id, addedKeys)
		if err != nil {
			return t.fail(errOp(err))
		}
		inserted, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return t.fail(errOp(err))
		}
		if len(inserted) < len(addedKeys) {
			slices.Sort(inserted)
			taken := minus(addedKeys, inserted)[0]
			if len(inserted) > 0 {
				if _, err := t.tx.Exec(ctx, `DELETE FROM item_keys WHERE kind = $1 AND "key" = ANY($2) AND id = $3`,
					kind, inserted, id); err != nil {
					return t.fail(errOp(fmt.Errorf("undo: %w", err)))
				}
			}
			return &storage.KeyConflictError{Kind: kind, Key: taken}
		}
	}

	b = &pgx.Batch{}
	b.Queue(`UPDATE items SET pool = $1, data = $2, created_at = $3, updated_at = $4, version = $5
		WHERE kind = $6 AND id = $7`,
		rec.Pool, notNull(rec.Data), rec.CreatedAt, rec.UpdatedAt, rec.Version, kind, id)
	if len(droppedKeys) > 0 {
		b.Queue(`DELETE FROM item_keys WHERE kind = $1 AND "key" = ANY($2) AND id = $3`, kind, droppedKeys, id)
	}
	if len(dropIdx) > 0 {
		b.Queue(`DELETE FROM item_index WHERE kind = $1 AND "key" = ANY($2) AND id = $3`, kind, dropIdx, id)
	}
	if len(addedIdx) > 0 {
		b.Queue(`INSERT INTO item_index (kind, "key", id) SELECT $1, u.k, $2 FROM unnest($3::text[]) AS u(k)`,
			kind, id, addedIdx)
	}
	if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
		return t.fail(errOp(err))
	}
	if rep == storage.Replicated {
		t.logChange(storage.ChangeUpdate, storage.Entity(kind), id, rec.Pool, state)
	}
	it.Version = rec.Version
	return nil
}

// DeleteItem deletes the item, and with it (ON DELETE CASCADE) its keys and
// index entries, when version is the stored version, and erases its earlier
// change-log entries (a local kind has none).
func (t *txn) DeleteItem(ctx context.Context, kind, id string, version int64) error {
	if err := t.check(); err != nil {
		return err
	}
	t.noteWrite(kind)
	rep, err := storage.KindReplication(kind)
	if err != nil {
		return fmt.Errorf("delete %s %q: %w", kind, id, err)
	}
	var pool string
	err = t.tx.QueryRow(ctx, `DELETE FROM items WHERE kind = $1 AND id = $2 AND version = $3 RETURNING pool`, kind, id, version).Scan(&pool)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return t.fail(fmt.Errorf("postgres: delete %s %q: %w", kind, id, err))
	}
	if errors.Is(err, pgx.ErrNoRows) {
		// As for pools: a writer that won a race has committed and
		// released its lock, so this read sees its result.
		var v int64
		err := t.tx.QueryRow(ctx, `SELECT version FROM items WHERE kind = $1 AND id = $2`, kind, id).Scan(&v)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("delete %s %q: %w", kind, id, storage.ErrNotFound)
		}
		if err != nil {
			return t.fail(fmt.Errorf("postgres: delete %s %q: %w", kind, id, err))
		}
		return fmt.Errorf("delete %s %q: stored version is %d: %w", kind, id, v, storage.ErrConflict)
	}
	if rep == storage.Local {
		return nil
	}
	if err := t.eraseChanges(ctx, storage.Entity(kind), id); err != nil {
		return err
	}
	t.logChange(storage.ChangeDelete, storage.Entity(kind), id, pool, nil)
	return nil
}

// DeleteItems deletes every item of kind in pool, and with them their keys,
// index entries and earlier change-log entries, and logs one purge entry
// (for a replicated kind: a local one has no entries and logs none).
func (t *txn) DeleteItems(ctx context.Context, kind, pool string) (int64, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	t.noteWrite(kind)
	rep, err := storage.KindReplication(kind)
	if err != nil {
		return 0, fmt.Errorf("delete %s of pool %q: %w", kind, pool, err)
	}
	replicated := rep == storage.Replicated
	return t.purge(ctx, kind, pool, replicated, replicated)
}

// DeletePoolItems deletes every item of pool, whatever its kind, with their
// keys, index entries and earlier change-log entries, and logs one purge
// entry for each kind it deleted items of that is not declared local.
func (t *txn) DeletePoolItems(ctx context.Context, pool string) (int64, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	// Every kind of the pool goes, cacheable kinds among them.
	t.cachedWritten = true
	// The kinds of the store, walked through the (kind, pool, id) index one
	// probe a kind, that pool has an item of: the cost grows with the
	// kinds, not with the items of other pools.
	rows, err := t.tx.Query(ctx, `WITH RECURSIVE k(kind) AS (
			SELECT min(kind) FROM items
			UNION ALL
			SELECT (SELECT min(kind) FROM items WHERE kind > k.kind) FROM k WHERE k.kind IS NOT NULL)
		SELECT kind FROM k WHERE kind IS NOT NULL
			AND EXISTS (SELECT 1 FROM items WHERE items.kind = k.kind AND pool = $1)`, pool)
	if err != nil {
		return 0, t.fail(fmt.Errorf("postgres: kinds of pool %q: %w", pool, err))
	}
	kinds, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, t.fail(fmt.Errorf("postgres: kinds of pool %q: %w", pool, err))
	}
	// The entries left of the pool's items deleted earlier (tombstones of
	// IDs under "<pool>/") go too: the purges say they are gone.
	under := pool + "/"
	t.changes = slices.DeleteFunc(t.changes, func(c pendingChange) bool { return strings.HasPrefix(c.key, under) })
	err = t.erase(ctx, `WITH RECURSIVE e(entity) AS (
			SELECT min(entity) FROM change_log
			UNION ALL
			SELECT (SELECT min(entity) FROM change_log WHERE entity > e.entity) FROM e WHERE e.entity IS NOT NULL)
		DELETE FROM change_log WHERE entity IN (SELECT entity FROM e WHERE entity IS NOT NULL)
			AND "key" >= $1 AND "key" < $2 RETURNING hlc`, under, pool+"0")
	if err != nil {
		return 0, t.fail(fmt.Errorf("postgres: erase changes under pool %q: %w", pool, err))
	}
	// And those of any other key that name the pool (a user's, by sub; a
	// client's; a domain's), but the pool's own, which DeleteUserPool
	// erases with its tombstone.
	t.changes = slices.DeleteFunc(t.changes, func(c pendingChange) bool {
		return c.pool == pool && c.entity != storage.EntityUserPool
	})
	err = t.erase(ctx, `DELETE FROM change_log WHERE pool = $1 AND entity <> $2 RETURNING hlc`, pool, string(storage.EntityUserPool))
	if err != nil {
		return 0, t.fail(fmt.Errorf("postgres: erase changes of pool %q: %w", pool, err))
	}
	if err := t.deletePoolMarkers(ctx, pool); err != nil {
		return 0, err
	}
	var total int64
	for _, kind := range kinds {
		n, err := t.purge(ctx, kind, pool, true, storage.Purged(kind))
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// purge deletes every item of kind in pool with their keys and index
// entries; erase erases their earlier change-log entries, and logged logs
// one purge entry.
func (t *txn) purge(ctx context.Context, kind, pool string, erase, logged bool) (int64, error) {
	rows, err := t.tx.Query(ctx, `DELETE FROM items WHERE kind = $1 AND pool = $2 RETURNING id`, kind, pool)
	if err != nil {
		return 0, t.fail(fmt.Errorf("postgres: delete %s of pool %q: %w", kind, pool, err))
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, t.fail(fmt.Errorf("postgres: delete %s of pool %q: %w", kind, pool, err))
	}
	if erase {
		if err := t.eraseChangesOfItems(ctx, kind, ids); err != nil {
			return 0, err
		}
	}
	if logged {
		t.logChange(storage.ChangePurge, storage.Entity(kind), pool, pool, nil)
	}
	return int64(len(ids)), nil
}

// noteWrite marks the transaction as writing a record of the read cache
// when kind is cacheable, or cacheable by key.
func (t *txn) noteWrite(kind string) {
	if storage.KindCached(kind) {
		t.cachedWritten = true
	}
	if storage.KindCachedByKey(kind) {
		t.keyedWritten = true
	}
}
