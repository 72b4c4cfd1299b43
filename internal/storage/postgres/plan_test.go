package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
)

// planNode is a node of EXPLAIN (FORMAT JSON) output.
type planNode struct {
	NodeType     string     `json:"Node Type"`
	RelationName string     `json:"Relation Name"`
	IndexName    string     `json:"Index Name"`
	IndexCond    string     `json:"Index Cond"`
	Direction    string     `json:"Scan Direction"`
	ActualRows   float64    `json:"Actual Rows"`
	ActualLoops  float64    `json:"Actual Loops"`
	Plans        []planNode `json:"Plans"`
}

// literal matches a constant or a parameter in an Index Cond.
var literal = regexp.MustCompile(`'(?:[^']|'')*'::text|\$[0-9]+`)

// walk calls fn on n and every node below it.
func (n *planNode) walk(fn func(*planNode)) {
	fn(n)
	for i := range n.Plans {
		n.Plans[i].walk(fn)
	}
}

// TestItemQueryPlans runs ScanIndex's statements (and GetItemByKey's and
// ListItems') under EXPLAIN ANALYZE and checks that they are index-driven:
// ScanIndex reads a range of item_index's primary key, starting at the
// prefix or the cursor, and stops after the page, then looks each item up
// by its primary key. A cursor deep in a long range must read no more
// index entries than a first page.
//
// The table holds 2,000 items and is vacuumed and analyzed first, so the
// planner decides with real statistics and a visibility map (which makes
// the index-only scans index-only). That is enough for it to choose these
// plans on its own, so the test does not touch enable_seqscan: with it off
// the test could pass on plans the planner would never choose.
func TestItemQueryPlans(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t, Options{}, true)
	err := db.Tx(ctx, func(tx storage.Tx) error {
		for i := range 2000 {
			it := &storage.Item{
				Kind: "user", ID: fmt.Sprintf("u%04d", i), Pool: fmt.Sprintf("pool%d", i%20),
				Keys:      []string{fmt.Sprintf("name/%04d", i)},
				Index:     []string{fmt.Sprintf("email/%04d", i%500), "all"},
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
	if _, err := db.pool.Exec(ctx, `VACUUM ANALYZE items, item_keys, item_index`); err != nil {
		t.Fatal(err)
	}

	const limit = 10
	scan := func(in storage.ScanInput) func() (string, []any) {
		return func() (string, []any) {
			in.Kind, in.Limit = "user", limit
			return scanQuery(in)
		}
	}
	// want maps each relation the plan may read to the indexes it may read
	// it by: the main scan's, and the (kind, id, key) indexes the item's
	// keys and index entries come from.
	type want map[string][]string
	scanWant := want{"item_index": {"item_index_pkey", "item_index_kind_id"}, "items": {"items_pkey"},
		"item_keys": {"item_keys_kind_id"}}
	tests := []struct {
		name  string
		query func() (string, []any)
		want  want
		// rangeCond ends the Index Cond of the range scan of item_index,
		// with each literal or parameter written ?, and maxRows bounds
		// the entries it reads.
		rangeCond string
		maxRows   float64
	}{
		{
			name:  "prefix",
			query: scan(storage.ScanInput{Prefix: "email/01"}),
			want:  scanWant, rangeCond: `(key >= ?) AND (key < ?))`, maxRows: limit,
		},
		{
			name:  "prefix after a deep cursor",
			query: scan(storage.ScanInput{Prefix: "email/", AfterKey: "email/0450", AfterID: "u0450"}),
			want:  scanWant, rangeCond: `(ROW(key, id) > ROW(?, ?)) AND (key < ?))`, maxRows: limit,
		},
		{
			name:  "prefix without an end",
			query: scan(storage.ScanInput{Prefix: ""}),
			want:  scanWant, rangeCond: `(key >= ?))`, maxRows: limit,
		},
		{
			name:  "exact",
			query: scan(storage.ScanInput{Prefix: "all", Exact: true}),
			want:  scanWant, rangeCond: `(key = ?))`, maxRows: limit,
		},
		{
			name:  "exact after a deep cursor",
			query: scan(storage.ScanInput{Prefix: "all", Exact: true, AfterKey: "all", AfterID: "u1900"}),
			want:  scanWant, rangeCond: `(key = ?) AND (id > ?))`, maxRows: limit,
		},
		{
			name:  "by key",
			query: func() (string, []any) { return getByKeyQuery, []any{"user", "name/0042"} },
			want: want{"item_keys": {"item_keys_pkey", "item_keys_kind_id"}, "items": {"items_pkey"},
				"item_index": {"item_index_kind_id"}},
		},
		{
			name: "several by ID",
			query: func() (string, []any) {
				return getItemsQuery([]bool{false, false, false}), []any{"user", "u0042", "user", "u1500", "user", "none"}
			},
			want: want{"items": {"items_pkey"}, "item_keys": {"item_keys_kind_id"}, "item_index": {"item_index_kind_id"}},
		},
		{
			name:  "list",
			query: func() (string, []any) { return listQuery, []any{"user", "pool7", "u1000", limit} },
			want: want{"items": {"items_kind_pool_id"}, "item_keys": {"item_keys_kind_id"},
				"item_index": {"item_index_kind_id"}},
		},
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	// pgx prepares statements, and after a few runs the server may switch
	// a prepared statement to a generic plan, made without the parameters'
	// values; each case checks that plan too.
	explain := func(t *testing.T, generic bool, query string, args []any) []byte {
		t.Helper()
		var out []byte
		if !generic {
			if err := conn.QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+query, args...).Scan(&out); err != nil {
				t.Fatal(err)
			}
			return out
		}
		// EXECUTE takes its arguments as SQL, not as bound parameters.
		params := make([]string, len(args))
		for i, a := range args {
			switch a := a.(type) {
			case string:
				params[i] = "'" + strings.ReplaceAll(a, "'", "''") + "'"
			case int:
				params[i] = fmt.Sprint(a)
			default:
				t.Fatalf("argument %d: unexpected type %T", i, a)
			}
		}
		if _, err := conn.Exec(ctx, `SET plan_cache_mode = force_generic_plan`); err != nil {
			t.Fatal(err)
		}
		defer conn.Exec(ctx, `RESET plan_cache_mode`)
		if _, err := conn.Exec(ctx, `PREPARE planned AS `+query); err != nil {
			t.Fatal(err)
		}
		defer conn.Exec(ctx, `DEALLOCATE planned`)
		err := conn.QueryRow(ctx, `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE planned(`+strings.Join(params, ", ")+`)`).
			Scan(&out)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, tc := range tests {
		for _, generic := range []bool{false, true} {
			name := tc.name
			if generic {
				name += "/generic"
			}
			t.Run(name, func(t *testing.T) {
				query, args := tc.query()
				out := explain(t, generic, query, args)
				var plans []struct {
					Plan planNode `json:"Plan"`
				}
				if err := json.Unmarshal(out, &plans); err != nil || len(plans) != 1 {
					t.Fatalf("parse plan: %v\n%s", err, out)
				}
				root := plans[0].Plan
				foundRange := tc.rangeCond == ""
				root.walk(func(n *planNode) {
					switch n.NodeType {
					case "Seq Scan", "Bitmap Heap Scan":
						t.Errorf("plan has a %s of %s", n.NodeType, n.RelationName)
					case "Hash Join", "Merge Join":
						t.Errorf("plan has a %s", n.NodeType)
					}
					if n.RelationName == "" {
						return
					}
					if indexes := tc.want[n.RelationName]; !slices.Contains(indexes, n.IndexName) {
						t.Errorf("plan reads %s by %q (%s), want one of %q", n.RelationName, n.IndexName, n.NodeType, indexes)
					}
					cond := literal.ReplaceAllString(n.IndexCond, "?")
					if n.IndexName == "item_index_pkey" && strings.HasSuffix(cond, tc.rangeCond) {
						foundRange = true
						if n.ActualRows*n.ActualLoops > tc.maxRows {
							t.Errorf("the range scan read %v entries for a page of %v", n.ActualRows*n.ActualLoops, tc.maxRows)
						}
					}
				})
				if !foundRange {
					t.Errorf("plan has no scan of item_index_pkey with the condition %s", tc.rangeCond)
				}
				if t.Failed() {
					t.Logf("plan:\n%s", out)
				}
			})
		}
	}
}

// TestMaxHLCPlan runs the newest-HLC read of Open and Migrate (maxHLCQuery)
// under EXPLAIN ANALYZE and checks that it reads the end of change_log_hlc,
// one entry, instead of scanning the change log. The log holds 5,000
// entries and is vacuumed and analyzed first, so the planner chooses with
// real statistics, enable_seqscan untouched.
func TestMaxHLCPlan(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t, Options{Region: "us-east-1"}, true)
	if _, err := db.pool.Exec(ctx, `INSERT INTO change_log (region, hlc, kind, entity, "key", state)
		SELECT 'us-east-1', i, 'create', 'user_pool', 'us-east-1_' || i, NULL FROM generate_series(1, 5000) AS i`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.pool.Exec(ctx, `VACUUM ANALYZE change_log`); err != nil {
		t.Fatal(err)
	}
	var out []byte
	if err := db.pool.QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+maxHLCQuery).Scan(&out); err != nil {
		t.Fatal(err)
	}
	var plans []struct {
		Plan planNode `json:"Plan"`
	}
	if err := json.Unmarshal(out, &plans); err != nil || len(plans) != 1 {
		t.Fatalf("parse plan: %v\n%s", err, out)
	}
	found := false
	plans[0].Plan.walk(func(n *planNode) {
		switch {
		case n.RelationName == "":
		case n.NodeType != "Index Only Scan" && n.NodeType != "Index Scan":
			t.Errorf("plan reads change_log by a %s", n.NodeType)
		case n.IndexName != "change_log_hlc":
			t.Errorf("plan reads change_log by %q, want change_log_hlc", n.IndexName)
		case n.Direction != "Backward":
			t.Errorf("plan reads change_log_hlc %s, want Backward (from the newest entry)", n.Direction)
		default:
			found = true
			if n.ActualRows*n.ActualLoops > 1 {
				t.Errorf("the index scan read %v entries, want 1", n.ActualRows*n.ActualLoops)
			}
		}
	})
	if !found {
		t.Error("plan does not read change_log_hlc")
	}
	if t.Failed() {
		t.Logf("plan:\n%s", out)
	}
}
