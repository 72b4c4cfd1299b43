package sqlite

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/storagetest"
)

// queryPlan returns the detail lines of EXPLAIN QUERY PLAN of query, in
// order.
func queryPlan(t *testing.T, db *DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.r.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var (
			id, parent, unused int
			detail             string
		)
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}

// TestItemQueryPlans checks with EXPLAIN QUERY PLAN that ScanIndex walks a
// range of item_index's primary key (kind, key, id), starting at the
// prefix or the cursor, in the order it returns, so that a page costs what
// it returns; and that ListItems and CountItems use (kind, pool, id). The
// store holds some items and has run ANALYZE, so the planner decides with
// statistics.
func TestItemQueryPlans(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t, Options{}, true)
	err := db.Tx(ctx, func(tx storage.Tx) error {
		for i := range 300 {
			it := &storage.Item{
				Kind: "user", ID: fmt.Sprintf("u%03d", i), Pool: fmt.Sprintf("pool%d", i%3),
				Keys:      []string{fmt.Sprintf("name/%03d", i)},
				Index:     []string{fmt.Sprintf("email/%03d", i%50), "all"},
				CreatedAt: time.Now(), UpdatedAt: time.Now(),
			}
			if err := tx.CreateItem(ctx, it); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}

	const (
		lookups = `SEARCH i USING INDEX sqlite_autoindex_items_1 (kind=? AND id=?)`
		keys    = `SEARCH k USING COVERING INDEX item_keys_kind_id (kind=? AND id=?)`
		index   = `SEARCH x USING COVERING INDEX item_index_kind_id (kind=? AND id=?)`
	)
	scan := func(in storage.ScanInput) (string, []any) {
		in.Kind, in.Limit = "user", 10
		return scanQuery(in)
	}
	tests := []struct {
		name  string
		query func() (string, []any)
		want  []string // plan lines, in order
	}{
		{
			name:  "prefix",
			query: func() (string, []any) { return scan(storage.ScanInput{Prefix: "email/01"}) },
			want:  []string{`SEARCH x0 USING PRIMARY KEY (kind=? AND key>? AND key<?)`, lookups, keys, index},
		},
		{
			name: "prefix after a cursor",
			query: func() (string, []any) {
				return scan(storage.ScanInput{Prefix: "email/", AfterKey: "email/020", AfterID: "u020"})
			},
			want: []string{`SEARCH x0 USING PRIMARY KEY (kind=? AND (key,id)>(?,?) AND key<?)`, lookups, keys, index},
		},
		{
			name:  "prefix without an end",
			query: func() (string, []any) { return scan(storage.ScanInput{Prefix: ""}) },
			want:  []string{`SEARCH x0 USING PRIMARY KEY (kind=? AND key>?)`, lookups, keys, index},
		},
		{
			name:  "exact",
			query: func() (string, []any) { return scan(storage.ScanInput{Prefix: "all", Exact: true}) },
			want:  []string{`SEARCH x0 USING PRIMARY KEY (kind=? AND key=?)`, lookups, keys, index},
		},
		{
			name: "exact after a cursor",
			query: func() (string, []any) {
				return scan(storage.ScanInput{Prefix: "all", Exact: true, AfterKey: "all", AfterID: "u100"})
			},
			want: []string{`SEARCH x0 USING PRIMARY KEY (kind=? AND key=? AND id>?)`, lookups, keys, index},
		},
		{
			name: "list",
			query: func() (string, []any) {
				return listQuery, []any{"user", "pool1", "u100", 10}
			},
			want: []string{`SEARCH i USING INDEX items_kind_pool_id (kind=? AND pool=? AND id>?)`, keys, index},
		},
		{
			name: "count",
			query: func() (string, []any) {
				return countQuery, []any{"user", "pool1"}
			},
			want: []string{`SEARCH items USING COVERING INDEX items_kind_pool_id (kind=? AND pool=?)`},
		},
		{
			name: "items with a scan",
			query: func() (string, []any) {
				scanSQL, scanArgs := scan(storage.ScanInput{Prefix: "all", Exact: true})
				return getItemsScanQuery([]bool{false, true}, scanSQL), append([]any{"user", "u001", "pool0/used/a"}, scanArgs...)
			},
			want: []string{lookups, keys, index, `SEARCH m USING PRIMARY KEY (id=?)`, `SEARCH x0 USING PRIMARY KEY (kind=? AND key=?)`, lookups, keys, index},
		},
		{
			name: "by key",
			query: func() (string, []any) {
				return getByKeyQuery, []any{"user", "name/001"}
			},
			want: []string{`SEARCH k0 USING PRIMARY KEY (kind=? AND key=?)`, lookups, keys, index},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			query, args := tc.query()
			plan := queryPlan(t, db, query, args...)
			// "SCAN s" reads the rows of the co-routine s (the scan's
			// subquery of getItemsScanQuery), not a table.
			plan = slices.DeleteFunc(plan, func(line string) bool { return line == "SCAN s" })
			text := strings.Join(plan, "\n")
			for _, bad := range []string{"SCAN ", "TEMP B-TREE"} {
				if strings.Contains(text, bad) {
					t.Errorf("plan has %q (a full scan or a sort):\n%s", bad, text)
				}
			}
			i := 0
			for _, line := range plan {
				if i < len(tc.want) && line == tc.want[i] {
					i++
				}
			}
			if i < len(tc.want) {
				t.Errorf("plan lacks %q (or has it out of order):\n%s", tc.want[i], text)
			}
		})
	}
}

// TestMaxHLCPlan checks with EXPLAIN QUERY PLAN that the newest-HLC read of
// Open and Migrate (maxHLCQuery) reads change_log_hlc instead of scanning
// the change log, on a store with entries and statistics.
func TestMaxHLCPlan(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t, Options{Region: "us-east-1"}, true)
	for i := range 200 {
		storagetest.MustCreateUserPool(t, db, fmt.Sprintf("us-east-1_%03d", i))
	}
	if _, err := db.w.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	plan := queryPlan(t, db, maxHLCQuery)
	const want = `SEARCH change_log USING COVERING INDEX change_log_hlc`
	if text := strings.Join(plan, "\n"); !slices.Contains(plan, want) || strings.Contains(text, "SCAN ") {
		t.Errorf("plan of %s is not %q alone:\n%s", maxHLCQuery, want, text)
	}
}
