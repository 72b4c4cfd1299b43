package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cognate-dev/cognate/internal/storage"
)

// itemCols selects an item i with its keys and index entries. The two
// correlated subqueries read the (kind, id, key) indexes, so a statement
// returns each item whole from one snapshot. The keys are hex-encoded and
// comma-joined, so that any key (even "", or one holding a comma) survives;
// NULL means none. splitHex sorts them, which costs less than an ORDER BY
// in the aggregate (SQLite sorts that in a temporary b-tree).
const itemCols = `i.kind, i.id, i.pool, i.data, i.created_at, i.updated_at, i.version,
	(SELECT group_concat(hex(k."key"), ',') FROM item_keys k
		WHERE k.kind = i.kind AND k.id = i.id),
	(SELECT group_concat(hex(x."key"), ',') FROM item_index x
		WHERE x.kind = i.kind AND x.id = i.id)`

// itemDataCols selects the columns of itemCols without reading the keys and
// index entries (NULL for both): ScanInput.DataOnly.
const itemDataCols = `i.kind, i.id, i.pool, i.data, i.created_at, i.updated_at, i.version, NULL, NULL`

// The item queries with fixed text; TestItemQueryPlans checks their plans.
const (
	getByKeyQuery = `SELECT ` + itemCols + `
		FROM item_keys k0 JOIN items i ON i.kind = k0.kind AND i.id = k0.id
		WHERE k0.kind = ? AND k0."key" = ?`
	listQuery = `SELECT ` + itemCols + `
		FROM items i WHERE i.kind = ? AND i.pool = ? AND i.id > ?
		ORDER BY i.id LIMIT ?`
	countQuery = `SELECT count(*) FROM items WHERE kind = ? AND pool = ?`
)

// scanItem reads the columns of itemCols, after any columns in pre.
func scanItem(s scanner, pre ...any) (*storage.Item, error) {
	var (
		it               storage.Item
		created, updated int64
		keys, index      sql.NullString
	)
	dest := append(pre, &it.Kind, &it.ID, &it.Pool, &it.Data, &created, &updated, &it.Version, &keys, &index)
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	if len(it.Data) == 0 {
		it.Data = nil
	}
	it.CreatedAt = fromMicros(created)
	it.UpdatedAt = fromMicros(updated)
	var err error
	if it.Keys, err = splitHex(keys); err != nil {
		return nil, err
	}
	if it.Index, err = splitHex(index); err != nil {
		return nil, err
	}
	return &it, nil
}

// splitHex decodes a group_concat of hex-encoded strings and sorts them.
// Every string is decoded into one buffer and sliced from one conversion
// of it: a user item carries a dozen keys and index entries, and a string
// each would be most of what reading the item allocates.
func splitHex(s sql.NullString) ([]string, error) {
	if !s.Valid {
		return nil, nil
	}
	n := strings.Count(s.String, ",") + 1
	buf := make([]byte, 0, (len(s.String)-n+1)/2)
	ends := make([]int, 0, n)
	for i := 0; i < len(s.String); {
		if s.String[i] == ',' {
			ends = append(ends, len(buf))
			i++
			continue
		}
		hi, okHi := unhex(s.String[i])
		lo, okLo := byte(0), false
		if i+1 < len(s.String) {
			lo, okLo = unhex(s.String[i+1])
		}
		if !okHi || !okLo {
			return nil, fmt.Errorf("decode key list: invalid hex at byte %d", i)
		}
		buf = append(buf, hi<<4|lo)
		i += 2
	}
	ends = append(ends, len(buf))
	all := string(buf)
	out := make([]string, n)
	start := 0
	for i, end := range ends {
		out[i] = all[start:end]
		start = end
	}
	slices.Sort(out)
	return out, nil
}

// unhex returns the value of the hex digit c.
func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// ItemReader on the DB: each call is one statement on a reader connection.

// GetItem returns the item of kind with id, or storage.ErrNotFound.
//
// An item of a kind declared cacheable (storage.DeclareCached) comes from the
// read cache when this process has read it since the last write of a cached
// record (storage.ReadCache); so does its absence (storage.ErrNotFound),
// once a read found none.
func (db *DB) GetItem(ctx context.Context, kind, id string) (*storage.Item, error) {
	if !storage.KindCached(kind) {
		return getItem(ctx, db.reader(), kind, id)
	}
	it, gen, ok := db.cache.Item(kind, id)
	if ok {
		return it, nil
	}
	if db.cache.Absent(kind, id) {
		return nil, fmt.Errorf("get %s %q: %w", kind, id, storage.ErrNotFound)
	}
	it, err := getItem(ctx, db.reader(), kind, id)
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

// maxGetItems is the most items GetItems reads in one statement; more are
// read in statements of that many. Each count is a statement text of its
// own in the statement cache.
const maxGetItems = 8

// getItemsQuery reads n items named by kind and ID (the first two
// parameters the first, …), each with its place among them, 1 to n: one
// primary-key lookup each, joined with UNION ALL, so that the items come
// from one statement and so from one read transaction of the reader
// connection, where a GetItem each begins one each (on a reader connection
// that the writer has written behind since its last read, beginning a read
// transaction drops its page cache: most of what a lone GetItem costs).
//
// A ref of storage.MarkerKind reads the marker with the ID (markerArm)
// instead, with one parameter: markers tells which places are markers.
func getItemsQuery(markers []bool) string {
	var b strings.Builder
	writeItemArms(&b, markers, "")
	return b.String()
}

// writeItemArms writes getItemsQuery's arms to b, each with the column
// pre after its place when pre is not "".
func writeItemArms(b *strings.Builder, markers []bool, pre string) {
	for i, marker := range markers {
		if i > 0 {
			b.WriteString("\n\t\tUNION ALL ")
		}
		if marker {
			fmt.Fprintf(b, "SELECT %d, %s%s", i+1, pre, markerArm)
			continue
		}
		fmt.Fprintf(b, "SELECT %d, %s%s\n\t\tFROM items i WHERE i.kind = ? AND i.id = ?", i+1, pre, itemCols)
	}
}

// getItemsScanQuery is getItemsQuery (with no arm when markers is empty)
// and the ScanIndex statement scan (scanQuery) in one statement: the
// items' rows with their places, 1 to n, and a NULL key; the scan's rows
// with place 0 and their index key.
func getItemsScanQuery(markers []bool, scan string) string {
	var b strings.Builder
	writeItemArms(&b, markers, "NULL, ")
	if len(markers) > 0 {
		b.WriteString("\n\t\tUNION ALL ")
	}
	b.WriteString("SELECT 0, s.* FROM (" + scan + ") s")
	return b.String()
}

// GetItems returns the items refs name, in the order of refs, with nil for
// each that does not exist: those of cacheable kinds as GetItem reads them,
// the others in one statement (up to maxGetItems at a time).
func (db *DB) GetItems(ctx context.Context, refs []storage.ItemRef) ([]*storage.Item, error) {
	out := make([]*storage.Item, len(refs))
	var at []int
	for i, ref := range refs {
		if !storage.KindCached(ref.Kind) {
			at = append(at, i)
			continue
		}
		it, err := db.GetItem(ctx, ref.Kind, ref.ID)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[i] = it
	}
	for len(at) > 0 {
		n := min(len(at), maxGetItems)
		if err := db.getItemsOnce(ctx, refs, at[:n], out); err != nil {
			return nil, err
		}
		at = at[n:]
	}
	return out, nil
}

// getItemsOnce reads the items of refs at the places at into out, in one
// statement.
func (db *DB) getItemsOnce(ctx context.Context, refs []storage.ItemRef, at []int, out []*storage.Item) error {
	if len(at) == 1 {
		ref := refs[at[0]]
		if ref.Kind == storage.MarkerKind {
			m, err := getMarker(ctx, db.reader(), ref.ID)
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				return err
			}
			if m != nil {
				out[at[0]] = storage.MarkerItem(m)
			}
			return nil
		}
		it, err := getItem(ctx, db.reader(), ref.Kind, ref.ID)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		out[at[0]] = it
		return nil
	}
	args := make([]any, 0, 2*len(at))
	markers := make([]bool, len(at))
	for j, i := range at {
		if refs[i].Kind == storage.MarkerKind {
			args, markers[j] = append(args, refs[i].ID), true
			continue
		}
		args = append(args, refs[i].Kind, refs[i].ID)
	}
	rows, err := db.reader().QueryContext(point(ctx), getItemsQuery(markers), args...)
	if err != nil {
		return fmt.Errorf("sqlite: get %d items: %w", len(at), err)
	}
	defer rows.Close()
	for rows.Next() {
		var n int64
		it, err := scanItem(rows, &n)
		if err != nil {
			return fmt.Errorf("sqlite: get %d items: %w", len(at), err)
		}
		if n < 1 || int(n) > len(at) {
			return fmt.Errorf("sqlite: get %d items: place %d out of range", len(at), n)
		}
		if markers[n-1] {
			it = storage.MarkerItem(&storage.Marker{ID: it.ID, Data: it.Data})
		}
		out[at[n-1]] = it
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: get %d items: %w", len(at), err)
	}
	return nil
}

var _ storage.ItemsScanner = (*DB)(nil)

// GetItemsScan returns what GetItems(refs) and ScanIndex(scan) return, in
// one statement (getItemsScanQuery) when refs name at most maxGetItems
// items of kinds not cached: one read of the reader connection instead of
// two. Items of cacheable kinds are read as GetItem reads them, and items
// past maxGetItems in statements of their own, as in GetItems. The
// statement keeps its context's cancellation, as a scan does.
func (db *DB) GetItemsScan(ctx context.Context, refs []storage.ItemRef, scan storage.ScanInput) ([]*storage.Item, []storage.IndexEntry, error) {
	if scan.Limit <= 0 {
		return nil, nil, fmt.Errorf("sqlite: scan %s index: limit %d is not positive", scan.Kind, scan.Limit)
	}
	out := make([]*storage.Item, len(refs))
	var at []int
	for i, ref := range refs {
		if !storage.KindCached(ref.Kind) {
			at = append(at, i)
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
	for len(at) > maxGetItems {
		if err := db.getItemsOnce(ctx, refs, at[:maxGetItems], out); err != nil {
			return nil, nil, err
		}
		at = at[maxGetItems:]
	}
	query, scanArgs := scanQuery(scan)
	if query == "" {
		if len(at) > 0 {
			if err := db.getItemsOnce(ctx, refs, at, out); err != nil {
				return nil, nil, err
			}
		}
		return out, nil, nil
	}
	args := make([]any, 0, 2*len(at)+len(scanArgs))
	markers := make([]bool, len(at))
	for j, i := range at {
		if refs[i].Kind == storage.MarkerKind {
			args, markers[j] = append(args, refs[i].ID), true
			continue
		}
		args = append(args, refs[i].Kind, refs[i].ID)
	}
	args = append(args, scanArgs...)
	rows, err := db.reader().QueryContext(ctx, getItemsScanQuery(markers, query), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: get %d items and scan %s index: %w", len(at), scan.Kind, err)
	}
	defer rows.Close()
	var entries []storage.IndexEntry
	for rows.Next() {
		var (
			n   int64
			key sql.NullString
		)
		it, err := scanItem(rows, &n, &key)
		if err != nil {
			return nil, nil, fmt.Errorf("sqlite: get %d items and scan %s index: %w", len(at), scan.Kind, err)
		}
		switch {
		case n == 0:
			entries = append(entries, storage.IndexEntry{Key: key.String, Item: it})
		case n < 0 || int(n) > len(at):
			return nil, nil, fmt.Errorf("sqlite: get %d items: place %d out of range", len(at), n)
		case markers[n-1]:
			out[at[n-1]] = storage.MarkerItem(&storage.Marker{ID: it.ID, Data: it.Data})
		default:
			out[at[n-1]] = it
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("sqlite: get %d items and scan %s index: %w", len(at), scan.Kind, err)
	}
	// A compound statement promises no order of its rows; the scan's are
	// returned in (key, ID) order, as ScanIndex returns them.
	slices.SortFunc(entries, func(a, b storage.IndexEntry) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return strings.Compare(a.Item.ID, b.Item.ID)
	})
	return out, entries, nil
}

// GetItemByKey returns the item of kind holding key, or storage.ErrNotFound.
//
// An item of a kind declared cacheable by key (storage.DeclareCachedByKey)
// comes from the read cache when this process has read it by that key since
// the last write of an item of such a kind or of a cached record.
func (db *DB) GetItemByKey(ctx context.Context, kind, key string) (*storage.Item, error) {
	if !storage.KindCachedByKey(kind) {
		return getItemByKey(ctx, db.reader(), kind, key)
	}
	it, gen, ok := db.cache.ItemByKey(kind, key)
	if ok {
		return it, nil
	}
	it, err := getItemByKey(ctx, db.reader(), kind, key)
	if err != nil {
		return nil, err
	}
	db.cache.PutItemByKey(key, it, gen)
	return it, nil
}

// ListItems returns a page of one pool's items of a kind, in ID order.
func (db *DB) ListItems(ctx context.Context, in storage.ListItemsInput) ([]*storage.Item, error) {
	return listItems(ctx, db.reader(), in)
}

// ScanIndex returns a page of index entries in (key, ID) order.
func (db *DB) ScanIndex(ctx context.Context, in storage.ScanInput) ([]storage.IndexEntry, error) {
	return scanIndex(ctx, db.reader(), in)
}

// CountItems returns how many items of kind belong to pool.
func (db *DB) CountItems(ctx context.Context, kind, pool string) (int64, error) {
	return countItems(ctx, db.reader(), kind, pool)
}

func getItem(ctx context.Context, q querier, kind, id string) (*storage.Item, error) {
	it, err := scanItem(q.QueryRowContext(point(ctx), `SELECT `+itemCols+`
		FROM items i WHERE i.kind = ? AND i.id = ?`, kind, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get %s %q: %w", kind, id, storage.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get %s %q: %w", kind, id, err)
	}
	return it, nil
}

func getItemByKey(ctx context.Context, q querier, kind, key string) (*storage.Item, error) {
	it, err := scanItem(q.QueryRowContext(point(ctx), getByKeyQuery, kind, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get %s by key %q: %w", kind, key, storage.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get %s by key %q: %w", kind, key, err)
	}
	return it, nil
}

func listItems(ctx context.Context, q querier, in storage.ListItemsInput) ([]*storage.Item, error) {
	if in.Limit <= 0 {
		return nil, fmt.Errorf("sqlite: list %s: limit %d is not positive", in.Kind, in.Limit)
	}
	rows, err := q.QueryContext(ctx, listQuery, in.Kind, in.Pool, in.AfterID, in.Limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list %s: %w", in.Kind, err)
	}
	defer rows.Close()
	var items []*storage.Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list %s: %w", in.Kind, err)
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list %s: %w", in.Kind, err)
	}
	return items, nil
}

// scanQuery returns the ScanIndex statement for in, or "" when no entry can
// match. The range always starts at one bound on the primary key of
// item_index, (kind, key, id): the prefix, or the cursor when it lies
// inside the prefix range, so that a page costs what it returns however
// deep it is. Prefixes are compared, never matched with LIKE or GLOB, so no
// character is special.
func scanQuery(in storage.ScanInput) (string, []any) {
	var (
		where = []string{`x0.kind = ?`}
		args  = []any{in.Kind}
		after = in.AfterKey != "" || in.AfterID != ""
	)
	switch {
	case in.Exact && after && in.AfterKey > in.Prefix:
		return "", nil
	case in.Exact && after && in.AfterKey == in.Prefix:
		where = append(where, `x0."key" = ?`, `x0.id > ?`)
		args = append(args, in.Prefix, in.AfterID)
	case in.Exact:
		where = append(where, `x0."key" = ?`)
		args = append(args, in.Prefix)
	default:
		if after && in.AfterKey >= in.Prefix {
			where = append(where, `(x0."key", x0.id) > (?, ?)`)
			args = append(args, in.AfterKey, in.AfterID)
		} else {
			where = append(where, `x0."key" >= ?`)
			args = append(args, in.Prefix)
		}
		if end, ok := storage.PrefixEnd(in.Prefix); ok {
			where = append(where, `x0."key" < ?`)
			args = append(args, end)
		}
	}
	args = append(args, in.Limit)
	cols := itemCols
	if in.DataOnly {
		cols = itemDataCols
	}
	return `SELECT x0."key", ` + cols + `
		FROM item_index x0 JOIN items i ON i.kind = x0.kind AND i.id = x0.id
		WHERE ` + strings.Join(where, " AND ") + `
		ORDER BY x0."key", x0.id LIMIT ?`, args
}

func scanIndex(ctx context.Context, q querier, in storage.ScanInput) ([]storage.IndexEntry, error) {
	if in.Limit <= 0 {
		return nil, fmt.Errorf("sqlite: scan %s index: limit %d is not positive", in.Kind, in.Limit)
	}
	query, args := scanQuery(in)
	if query == "" {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: scan %s index: %w", in.Kind, err)
	}
	defer rows.Close()
	var entries []storage.IndexEntry
	for rows.Next() {
		var key string
		it, err := scanItem(rows, &key)
		if err != nil {
			return nil, fmt.Errorf("sqlite: scan %s index: %w", in.Kind, err)
		}
		entries = append(entries, storage.IndexEntry{Key: key, Item: it})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: scan %s index: %w", in.Kind, err)
	}
	return entries, nil
}

func countItems(ctx context.Context, q querier, kind, pool string) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, countQuery, kind, pool).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: count %s: %w", kind, err)
	}
	return n, nil
}

// ItemReader on a txn: the same statements on the writer connection, which
// sees the transaction's own writes. The single writer already excludes
// every other writer, so GetItem and GetItemByKey need no row lock.

// GetItem returns the item of kind with id, or storage.ErrNotFound.
func (t *txn) GetItem(ctx context.Context, kind, id string) (*storage.Item, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	it, err := getItem(ctx, t, kind, id)
	return it, t.readErr(err)
}

// GetItemByKey returns the item of kind holding key, or storage.ErrNotFound.
func (t *txn) GetItemByKey(ctx context.Context, kind, key string) (*storage.Item, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	it, err := getItemByKey(ctx, t, kind, key)
	return it, t.readErr(err)
}

// ListItems returns a page of one pool's items of a kind, in ID order.
func (t *txn) ListItems(ctx context.Context, in storage.ListItemsInput) ([]*storage.Item, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	items, err := listItems(ctx, t, in)
	return items, t.readErr(err)
}

// ScanIndex returns a page of index entries in (key, ID) order.
func (t *txn) ScanIndex(ctx context.Context, in storage.ScanInput) ([]storage.IndexEntry, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	entries, err := scanIndex(ctx, t, in)
	return entries, t.readErr(err)
}

// CountItems returns how many items of kind belong to pool.
func (t *txn) CountItems(ctx context.Context, kind, pool string) (int64, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	n, err := countItems(ctx, t, kind, pool)
	return n, t.readErr(err)
}

// readErr passes storage.ErrNotFound through and records any other error
// as fatal to the transaction.
func (t *txn) readErr(err error) error {
	if err == nil || errors.Is(err, storage.ErrNotFound) {
		return err
	}
	return t.fail(err)
}

// CreateItem stores it with version 1 and sets it.Version to 1. It checks
// the keys before writing anything, so a failure leaves the transaction as
// it was.
func (t *txn) CreateItem(ctx context.Context, it *storage.Item) error {
	if err := t.check(); err != nil {
		return err
	}
	rec, err := storage.NormalizeItem(it, 1)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	t.noteWrite(rec.Kind)
	rep, state, err := storage.ChangeState(&rec)
	if err != nil {
		return err
	}
	if err := t.checkKeys(ctx, &rec); err != nil {
		return err
	}
	_, err = t.ExecContext(point(ctx), `INSERT INTO items
		(kind, id, pool, data, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		rec.Kind, rec.ID, rec.Pool, notNull(rec.Data),
		toMicros(rec.CreatedAt), toMicros(rec.UpdatedAt), rec.Version)
	if isUniqueViolation(err) {
		return fmt.Errorf("create %s %q: %w", rec.Kind, rec.ID, storage.ErrAlreadyExists)
	}
	if err != nil {
		return t.fail(fmt.Errorf("sqlite: create %s %q: %w", rec.Kind, rec.ID, err))
	}
	if err := t.insertLookups(ctx, &rec); err != nil {
		return err
	}
	if rep == storage.Replicated {
		if err := t.appendChange(ctx, storage.ChangeCreate, storage.Entity(rec.Kind), rec.ID, rec.Pool, state); err != nil {
			return err
		}
	}
	it.Version = rec.Version
	return nil
}

// UpdateItem replaces the item, its keys and its index entries when
// it.Version is the stored version, and sets it.Version to the new version.
func (t *txn) UpdateItem(ctx context.Context, it *storage.Item) error {
	if err := t.check(); err != nil {
		return err
	}
	rec, err := storage.NormalizeItem(it, it.Version+1)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	t.noteWrite(rec.Kind)
	rep, state, err := storage.ChangeState(&rec)
	if err != nil {
		return err
	}
	if err := t.checkVersion(ctx, "update", rec.Kind, rec.ID, it.Version); err != nil {
		return err
	}
	if err := t.checkKeys(ctx, &rec); err != nil {
		return err
	}
	if _, err := t.ExecContext(point(ctx), `UPDATE items
		SET pool = ?, data = ?, created_at = ?, updated_at = ?, version = ?
		WHERE kind = ? AND id = ?`,
		rec.Pool, notNull(rec.Data), toMicros(rec.CreatedAt), toMicros(rec.UpdatedAt), rec.Version,
		rec.Kind, rec.ID); err != nil {
		return t.fail(fmt.Errorf("sqlite: update %s %q: %w", rec.Kind, rec.ID, err))
	}
	for _, table := range []string{"item_keys", "item_index"} {
		if _, err := t.ExecContext(point(ctx), `DELETE FROM `+table+` WHERE kind = ? AND id = ?`,
			rec.Kind, rec.ID); err != nil {
			return t.fail(fmt.Errorf("sqlite: update %s %q: %w", rec.Kind, rec.ID, err))
		}
	}
	if err := t.insertLookups(ctx, &rec); err != nil {
		return err
	}
	if rep == storage.Replicated {
		if err := t.appendChange(ctx, storage.ChangeUpdate, storage.Entity(rec.Kind), rec.ID, rec.Pool, state); err != nil {
			return err
		}
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
	rep, err := storage.KindReplication(kind)
	if err != nil {
		return fmt.Errorf("delete %s %q: %w", kind, id, err)
	}
	t.noteWrite(kind)
	if err := t.checkVersion(ctx, "delete", kind, id, version); err != nil {
		return err
	}
	var pool string
	if err := t.QueryRowContext(point(ctx), `DELETE FROM items WHERE kind = ? AND id = ? RETURNING pool`, kind, id).Scan(&pool); err != nil {
		return t.fail(fmt.Errorf("sqlite: delete %s %q: %w", kind, id, err))
	}
	if rep == storage.Local {
		return nil
	}
	if err := t.eraseChanges(ctx, storage.Entity(kind), id); err != nil {
		return err
	}
	return t.appendChange(ctx, storage.ChangeDelete, storage.Entity(kind), id, pool, nil)
}

// DeleteItems deletes every item of kind in pool with their keys, index
// entries and earlier change-log entries, and logs one purge entry (for a
// replicated kind: a local one has no entries and logs none).
func (t *txn) DeleteItems(ctx context.Context, kind, pool string) (int64, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
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
	kinds, err := t.kindsOfPool(ctx, pool)
	if err != nil {
		return 0, err
	}
	// The entries left of the pool's items deleted earlier (tombstones of
	// IDs under "<pool>/") go too: the purges say they are gone.
	err = t.erase(ctx, `WITH RECURSIVE e(entity) AS (
			SELECT min(entity) FROM change_log
			UNION ALL
			SELECT (SELECT min(entity) FROM change_log WHERE entity > e.entity) FROM e WHERE e.entity IS NOT NULL)
		DELETE FROM change_log WHERE entity IN (SELECT entity FROM e WHERE entity IS NOT NULL)
			AND "key" >= ? AND "key" < ? RETURNING hlc`, pool+"/", pool+"0")
	if err != nil {
		return 0, t.fail(fmt.Errorf("sqlite: erase changes under pool %q: %w", pool, err))
	}
	// And those of any other key that name the pool (a user's, by sub; a
	// client's; a domain's), but the pool's own, which DeleteUserPool
	// erases with its tombstone.
	err = t.erase(ctx, `DELETE FROM change_log WHERE pool = ? AND entity <> ? RETURNING hlc`, pool, string(storage.EntityUserPool))
	if err != nil {
		return 0, t.fail(fmt.Errorf("sqlite: erase changes of pool %q: %w", pool, err))
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

// kindsOfPool returns the kinds pool has items of. It walks the kinds of
// the store through the (kind, pool, id) index, one probe a kind, and asks
// each whether the pool has an item of it: the cost grows with the kinds,
// not with the items of other pools.
func (t *txn) kindsOfPool(ctx context.Context, pool string) ([]string, error) {
	rows, err := t.QueryContext(ctx, `WITH RECURSIVE k(kind) AS (
			SELECT min(kind) FROM items
			UNION ALL
			SELECT (SELECT min(kind) FROM items WHERE kind > k.kind) FROM k WHERE k.kind IS NOT NULL)
		SELECT kind FROM k WHERE kind IS NOT NULL
			AND EXISTS (SELECT 1 FROM items WHERE items.kind = k.kind AND pool = ?)`, pool)
	if err != nil {
		return nil, t.fail(fmt.Errorf("sqlite: kinds of pool %q: %w", pool, err))
	}
	defer rows.Close()
	var kinds []string
	for rows.Next() {
		var kind string
		if err := rows.Scan(&kind); err != nil {
			return nil, t.fail(fmt.Errorf("sqlite: kinds of pool %q: %w", pool, err))
		}
		kinds = append(kinds, kind)
	}
	if err := rows.Err(); err != nil {
		return nil, t.fail(fmt.Errorf("sqlite: kinds of pool %q: %w", pool, err))
	}
	return kinds, nil
}

// purge deletes every item of kind in pool with their keys and index
// entries; erase erases their earlier change-log entries first, and logged
// logs one purge entry.
func (t *txn) purge(ctx context.Context, kind, pool string, erase, logged bool) (int64, error) {
	t.noteWrite(kind)
	if erase {
		if err := t.eraseChangesOfPool(ctx, kind, pool); err != nil {
			return 0, err
		}
	}
	res, err := t.ExecContext(ctx, `DELETE FROM items WHERE kind = ? AND pool = ?`, kind, pool)
	if err != nil {
		return 0, t.fail(fmt.Errorf("sqlite: delete %s of pool %q: %w", kind, pool, err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, t.fail(fmt.Errorf("sqlite: delete %s of pool %q: %w", kind, pool, err))
	}
	if logged {
		if err := t.appendChange(ctx, storage.ChangePurge, storage.Entity(kind), pool, pool, nil); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// checkVersion returns nil when the item exists at version, and otherwise
// storage.ErrNotFound or storage.ErrConflict.
func (t *txn) checkVersion(ctx context.Context, op, kind, id string, version int64) error {
	var v int64
	err := t.QueryRowContext(point(ctx), `SELECT version FROM items WHERE kind = ? AND id = ?`, kind, id).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %s %q: %w", op, kind, id, storage.ErrNotFound)
	}
	if err != nil {
		return t.fail(fmt.Errorf("sqlite: %s %s %q: %w", op, kind, id, err))
	}
	if v != version {
		return fmt.Errorf("%s %s %q: stored version is %d: %w", op, kind, id, v, storage.ErrConflict)
	}
	return nil
}

// checkKeys returns a *storage.KeyConflictError for the first of rec's keys
// (in byte order) that another item of the kind holds. The single writer
// connection keeps the answer true until the transaction ends.
func (t *txn) checkKeys(ctx context.Context, rec *storage.Item) error {
	for _, key := range rec.Keys {
		var id string
		err := t.QueryRowContext(point(ctx), `SELECT id FROM item_keys WHERE kind = ? AND "key" = ?`, rec.Kind, key).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return t.fail(fmt.Errorf("sqlite: check %s keys: %w", rec.Kind, err))
		case id != rec.ID:
			return &storage.KeyConflictError{Kind: rec.Kind, Key: key}
		}
	}
	return nil
}

// insertLookups inserts rec's keys and index entries, a row per statement:
// one statement text per table keeps them all prepared.
func (t *txn) insertLookups(ctx context.Context, rec *storage.Item) error {
	for _, l := range []struct {
		table string
		keys  []string
	}{{"item_keys", rec.Keys}, {"item_index", rec.Index}} {
		for _, k := range l.keys {
			if _, err := t.ExecContext(point(ctx), `INSERT INTO `+l.table+` (kind, "key", id) VALUES (?, ?, ?)`,
				rec.Kind, k, rec.ID); err != nil {
				return t.fail(fmt.Errorf("sqlite: write %s %q %s: %w", rec.Kind, rec.ID, l.table, err))
			}
		}
	}
	return nil
}

// noteWrite marks the transaction as writing a record of the read cache
// when kind is cacheable.
func (t *txn) noteWrite(kind string) {
	if storage.KindCached(kind) {
		t.cachedWritten = true
	}
	if storage.KindCachedByKey(kind) {
		t.keyedWritten = true
	}
}
