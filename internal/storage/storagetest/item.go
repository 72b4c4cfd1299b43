package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cognate-dev/cognate/internal/storage"
)

// Item kinds and pools of the item cases.
const (
	kindClient = "client"
	kindUser   = "user"
	poolA      = Region + "_poolA"
	poolB      = Region + "_poolB"
)

// itemCases are the Item, Tx and ScanIndex cases Run runs, each on a fresh
// store.
var itemCases = []struct {
	name string
	fn   func(t *testing.T, s storage.Store)
}{
	{"ItemCreateGet", testItemCreateGet},
	{"ItemGetMissing", testItemGetMissing},
	{"GetItems", testGetItems},
	{"GetItemsScan", testGetItemsScan},
	{"ItemUpdate", testItemUpdate},
	{"ItemDeleteFreesKeys", testItemDeleteFreesKeys},
	{"ItemTxRollback", testItemTxRollback},
	{"ItemTxPanic", testItemTxPanic},
	{"ItemTxEnded", testItemTxEnded},
	{"ItemTxPools", testItemTxPools},
	{"ScanIndex", testScanIndex},
	{"ScanIndexPaging", testScanIndexPaging},
	{"ListItems", testListItems},
	{"CountItems", testCountItems},
	{"DeleteItems", testDeleteItems},
	{"DeletePoolItems", testDeletePoolItems},
	{"ItemChangeLog", testItemChangeLog},
	{"LocalKindsStayOutOfChangeLog", testLocalKindsStayOutOfChangeLog},
	{"UndeclaredKindRefused", testUndeclaredKindRefused},
}

// newItem returns an item whose Data has whitespace, escapes and non-ASCII
// text that a JSON round trip would change.
func newItem(kind, id, pool string, keys, index []string) *storage.Item {
	return &storage.Item{
		Kind:      kind,
		ID:        id,
		Pool:      pool,
		Data:      fmt.Appendf(nil, "{\"id\": %s,  \"note\": \"<a&b> \\u00e9 ü\",\n\t\"n\": [1, 2.50]}", jsonString(id)),
		Keys:      keys,
		Index:     index,
		CreatedAt: base,
		UpdatedAt: base,
	}
}

// jsonString returns s as a JSON string.
func jsonString(s string) []byte {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return b
}

// inTx runs fn in s.Tx and fails the test on an error.
func inTx(t *testing.T, s storage.Store, fn func(ctx context.Context, tx storage.Tx) error) {
	t.Helper()
	ctx := context.Background()
	if err := s.Tx(ctx, func(tx storage.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("Tx: %v", err)
	}
}

func mustCreateItem(t *testing.T, s storage.Store, it *storage.Item) {
	t.Helper()
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.CreateItem(ctx, it) })
	if it.Version != 1 {
		t.Fatalf("CreateItem(%s %q) set Version %d, want 1", it.Kind, it.ID, it.Version)
	}
}

func mustGetItem(t *testing.T, s storage.ItemReader, kind, id string) *storage.Item {
	t.Helper()
	it, err := s.GetItem(context.Background(), kind, id)
	if err != nil {
		t.Fatalf("GetItem(%s, %q): %v", kind, id, err)
	}
	return it
}

// stored returns it as the store returns it: Keys and Index as sorted sets,
// and the given version.
func stored(it *storage.Item, version int64) *storage.Item {
	c := *it
	c.Data = slices.Clone(it.Data)
	c.Keys = sortedSet(it.Keys)
	c.Index = sortedSet(it.Index)
	c.Version = version
	return &c
}

func sortedSet(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// checkItemUTC fails unless it's times are in UTC.
func checkItemUTC(t *testing.T, it *storage.Item) {
	t.Helper()
	if it.CreatedAt.Location() != time.UTC || it.UpdatedAt.Location() != time.UTC {
		t.Errorf("%s %q times are in %v and %v, want UTC", it.Kind, it.ID, it.CreatedAt.Location(), it.UpdatedAt.Location())
	}
}

func testItemCreateGet(t *testing.T, s storage.Store) {
	ctx := context.Background()
	full := newItem(kindUser, poolA+"/alice", poolA,
		[]string{poolA + "/username/alice", poolA + "/sub/1234", poolA + "/username/alice"},
		[]string{poolA + "/email/alice@example.com", poolA + "/name/Alice", poolA + "/email/alice@example.com"})
	bare := &storage.Item{Kind: kindClient, ID: "bare", CreatedAt: base, UpdatedAt: base}
	want := map[string]*storage.Item{full.ID: stored(full, 1), bare.ID: stored(bare, 1)}
	data := slices.Clone(full.Data)

	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, it := range []*storage.Item{full, bare} {
			if err := tx.CreateItem(ctx, it); err != nil {
				return err
			}
			// The transaction reads its own writes.
			got, err := tx.GetItem(ctx, it.Kind, it.ID)
			if err != nil {
				return fmt.Errorf("GetItem inside the Tx: %w", err)
			}
			if diff := cmp.Diff(want[it.ID], got, cmpOpts); diff != "" {
				t.Errorf("GetItem inside the Tx mismatch (-want +got):\n%s", diff)
			}
		}
		got, err := tx.GetItemByKey(ctx, kindUser, poolA+"/sub/1234")
		if err != nil {
			return fmt.Errorf("GetItemByKey inside the Tx: %w", err)
		}
		if diff := cmp.Diff(want[full.ID], got, cmpOpts); diff != "" {
			t.Errorf("GetItemByKey inside the Tx mismatch (-want +got):\n%s", diff)
		}
		return nil
	})
	if full.Version != 1 || bare.Version != 1 {
		t.Errorf("CreateItem set versions %d and %d, want 1", full.Version, bare.Version)
	}

	for _, id := range []string{full.ID, bare.ID} {
		kind := want[id].Kind
		got := mustGetItem(t, s, kind, id)
		if diff := cmp.Diff(want[id], got, cmpOpts); diff != "" {
			t.Errorf("GetItem(%q) mismatch (-want +got):\n%s", id, diff)
		}
		checkItemUTC(t, got)
	}
	if got := mustGetItem(t, s, kindUser, full.ID); string(got.Data) != string(data) {
		t.Errorf("Data = %q, want the exact bytes %q", got.Data, data)
	}
	for _, key := range want[full.ID].Keys {
		got, err := s.GetItemByKey(ctx, kindUser, key)
		if err != nil {
			t.Fatalf("GetItemByKey(%q): %v", key, err)
		}
		if diff := cmp.Diff(want[full.ID], got, cmpOpts); diff != "" {
			t.Errorf("GetItemByKey(%q) mismatch (-want +got):\n%s", key, diff)
		}
	}
	// The same ID and key in another kind are another namespace.
	other := newItem(kindClient, full.ID, poolA, []string{poolA + "/sub/1234"}, nil)
	mustCreateItem(t, s, other)
	if got, err := s.GetItemByKey(ctx, kindClient, poolA+"/sub/1234"); err != nil || got.Kind != kindClient {
		t.Errorf("GetItemByKey(client) = %v, %v; want the client", got, err)
	}
	if got, err := s.GetItemByKey(ctx, kindUser, poolA+"/sub/1234"); err != nil || got.Kind != kindUser {
		t.Errorf("GetItemByKey(user) = %v, %v; want the user", got, err)
	}
}

func testItemGetMissing(t *testing.T, s storage.Store) {
	mustCreateItem(t, s, newItem(kindUser, "u1", poolA, []string{"k1"}, nil))
	tests := []struct {
		name string
		get  func(ctx context.Context, r storage.ItemReader) (*storage.Item, error)
	}{
		{"GetItem missing ID", func(ctx context.Context, r storage.ItemReader) (*storage.Item, error) {
			return r.GetItem(ctx, kindUser, "u2")
		}},
		{"GetItem other kind", func(ctx context.Context, r storage.ItemReader) (*storage.Item, error) {
			return r.GetItem(ctx, kindClient, "u1")
		}},
		{"GetItemByKey missing key", func(ctx context.Context, r storage.ItemReader) (*storage.Item, error) {
			return r.GetItemByKey(ctx, kindUser, "k2")
		}},
		{"GetItemByKey other kind", func(ctx context.Context, r storage.ItemReader) (*storage.Item, error) {
			return r.GetItemByKey(ctx, kindClient, "k1")
		}},
		{"GetItemByKey of an ID", func(ctx context.Context, r storage.ItemReader) (*storage.Item, error) {
			return r.GetItemByKey(ctx, kindUser, "u1")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if _, err := tc.get(ctx, s); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("on the store: error = %v, want ErrNotFound", err)
			}
			err := s.Tx(ctx, func(tx storage.Tx) error {
				if _, err := tc.get(ctx, tx); !errors.Is(err, storage.ErrNotFound) {
					t.Errorf("in a Tx: error = %v, want ErrNotFound", err)
				}
				return nil
			})
			if err != nil {
				t.Errorf("Tx after ErrNotFound: %v", err)
			}
		})
	}
}

func testItemUpdate(t *testing.T, s storage.Store) {
	ctx := context.Background()
	it := newItem(kindUser, "u1", poolA, []string{"key/a", "key/b"}, []string{"idx/a", "idx/b"})
	mustCreateItem(t, s, it)

	// Keep key/b (an item re-saving its own key), drop key/a, add key/c;
	// likewise for the index.
	it.Keys = []string{"key/c", "key/b"}
	it.Index = []string{"idx/c", "idx/b"}
	it.Data = []byte(`{"round": 1,  "x": "y"}`)
	it.UpdatedAt = base.Add(time.Hour)
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateItem(ctx, it) })
	if it.Version != 2 {
		t.Errorf("after UpdateItem Version = %d, want 2", it.Version)
	}
	want := stored(it, 2)
	if diff := cmp.Diff(want, mustGetItem(t, s, kindUser, "u1"), cmpOpts); diff != "" {
		t.Errorf("GetItem after update mismatch (-want +got):\n%s", diff)
	}
	for key, found := range map[string]bool{"key/a": false, "key/b": true, "key/c": true} {
		got, err := s.GetItemByKey(ctx, kindUser, key)
		switch {
		case found && err != nil:
			t.Errorf("GetItemByKey(%q): %v", key, err)
		case found:
			if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
				t.Errorf("GetItemByKey(%q) mismatch (-want +got):\n%s", key, diff)
			}
		case !errors.Is(err, storage.ErrNotFound):
			t.Errorf("GetItemByKey(%q) of a dropped key: error = %v, want ErrNotFound", key, err)
		}
	}
	entries := scanAll(t, s, storage.ScanInput{Kind: kindUser, Prefix: "idx/", Limit: 10})
	if diff := cmp.Diff([]string{"idx/b", "idx/c"}, entryKeys(entries), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("index after update mismatch (-want +got):\n%s", diff)
	}

	// Dropping every key and index entry.
	it.Keys, it.Index, it.Data = nil, nil, nil
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateItem(ctx, it) })
	if diff := cmp.Diff(stored(it, 3), mustGetItem(t, s, kindUser, "u1"), cmpOpts); diff != "" {
		t.Errorf("GetItem after clearing mismatch (-want +got):\n%s", diff)
	}
	if entries := scanAll(t, s, storage.ScanInput{Kind: kindUser, Limit: 10}); len(entries) != 0 {
		t.Errorf("index after clearing has %d entries, want 0", len(entries))
	}
	// Freed keys can be taken by another item.
	mustCreateItem(t, s, newItem(kindUser, "u2", poolA, []string{"key/b", "key/c"}, nil))
}

func testItemDeleteFreesKeys(t *testing.T, s storage.Store) {
	ctx := context.Background()
	it := newItem(kindUser, "u1", poolA, []string{"k1", "k2"}, []string{"i1"})
	mustCreateItem(t, s, it)
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteItem(ctx, kindUser, "u1", 1) })
	if _, err := s.GetItem(ctx, kindUser, "u1"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetItem after delete: error = %v, want ErrNotFound", err)
	}
	for _, key := range []string{"k1", "k2"} {
		if _, err := s.GetItemByKey(ctx, kindUser, key); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("GetItemByKey(%q) after delete: error = %v, want ErrNotFound", key, err)
		}
	}
	if entries := scanAll(t, s, storage.ScanInput{Kind: kindUser, Limit: 10}); len(entries) != 0 {
		t.Errorf("index after delete has %d entries, want 0", len(entries))
	}
	// The ID and keys are free again, and a new item starts at version 1.
	again := newItem(kindUser, "u1", poolB, []string{"k2"}, []string{"i2"})
	mustCreateItem(t, s, again)
	if diff := cmp.Diff(stored(again, 1), mustGetItem(t, s, kindUser, "u1"), cmpOpts); diff != "" {
		t.Errorf("recreated item mismatch (-want +got):\n%s", diff)
	}
}

// itemFixture creates the items the failure cases start from: two users at
// version 2 and 1 holding keys, and a client.
func itemFixture(t *testing.T, s storage.Store) {
	a := newItem(kindUser, "a", poolA, []string{"key/a1", "key/a2"}, []string{"idx/x", "idx/a"})
	mustCreateItem(t, s, a)
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateItem(ctx, a) })
	mustCreateItem(t, s, newItem(kindUser, "b", poolA, []string{"key/b"}, []string{"idx/x", "idx/b"}))
	mustCreateItem(t, s, newItem(kindClient, "c", poolA, []string{"key/c"}, []string{"idx/c"}))
}

// itemDump is everything the item cases can observe of a store.
type itemDump struct {
	Items   []*storage.Item
	Keys    map[string]string // kind/key -> ID
	Entries []string          // kind/key/ID
	Counts  map[string]int64
	Changes []storage.Change
}

// dumpItems reads every item of the given kinds in the given pools, which
// keys find which item, every index entry, the counts and the change log.
func dumpItems(t *testing.T, s storage.Store, kinds, pools, keys []string) itemDump {
	t.Helper()
	ctx := context.Background()
	d := itemDump{Keys: map[string]string{}, Counts: map[string]int64{}}
	for _, kind := range kinds {
		for _, pool := range pools {
			d.Items = append(d.Items, listAll(t, s, kind, pool)...)
			n, err := s.CountItems(ctx, kind, pool)
			if err != nil {
				t.Fatalf("CountItems: %v", err)
			}
			d.Counts[kind+"/"+pool] = n
		}
		for _, key := range keys {
			it, err := s.GetItemByKey(ctx, kind, key)
			switch {
			case errors.Is(err, storage.ErrNotFound):
			case err != nil:
				t.Fatalf("GetItemByKey(%s, %q): %v", kind, key, err)
			default:
				d.Keys[kind+"/"+key] = it.ID
			}
		}
		for _, e := range scanAll(t, s, storage.ScanInput{Kind: kind, Limit: 100}) {
			d.Entries = append(d.Entries, kind+"/"+e.Key+"/"+e.Item.ID)
		}
	}
	d.Changes = allChanges(t, s)
	return d
}

// failureKeys are the keys dumpItems looks up in the failure cases.
var failureKeys = []string{"key/a1", "key/a2", "key/b", "key/c", "key/new", "key/new2"}

func dumpFixture(t *testing.T, s storage.Store) itemDump {
	t.Helper()
	return dumpItems(t, s, []string{kindUser, kindClient}, []string{poolA, poolB}, failureKeys)
}

// testItemFailedMutations checks each rejected item mutation: the right
// error, nothing written, and the transaction still usable.
func testItemFailedMutations(t *testing.T, open func(t *testing.T) storage.Store) {
	type op func(ctx context.Context, tx storage.Tx) error
	tests := []struct {
		name    string
		op      op
		want    error  // a sentinel the error must match, nil for any error
		wantKey string // the key a *KeyConflictError must name, "" for none
	}{
		{
			name: "create duplicate ID",
			op: func(ctx context.Context, tx storage.Tx) error {
				return tx.CreateItem(ctx, newItem(kindUser, "b", poolB, []string{"key/new"}, []string{"idx/new"}))
			},
			want: storage.ErrAlreadyExists,
		},
		{
			name: "create duplicate ID holding its keys",
			op: func(ctx context.Context, tx storage.Tx) error {
				return tx.CreateItem(ctx, newItem(kindUser, "b", poolA, []string{"key/b"}, nil))
			},
			want: storage.ErrAlreadyExists,
		},
		{
			name: "create with a held key",
			op: func(ctx context.Context, tx storage.Tx) error {
				return tx.CreateItem(ctx, newItem(kindUser, "new", poolA, []string{"key/a2"}, []string{"idx/new"}))
			},
			want:    storage.ErrAlreadyExists,
			wantKey: "key/a2",
		},
		{
			name: "create with a free and a held key",
			op: func(ctx context.Context, tx storage.Tx) error {
				return tx.CreateItem(ctx, newItem(kindUser, "new", poolA, []string{"key/new", "key/b", "key/new2"}, []string{"idx/new"}))
			},
			want:    storage.ErrAlreadyExists,
			wantKey: "key/b",
		},
		{
			name: "update taking another item's key",
			op: func(ctx context.Context, tx storage.Tx) error {
				b := stored(newItem(kindUser, "b", poolA, []string{"key/b", "key/new", "key/a1"}, []string{"idx/new"}), 1)
				return tx.UpdateItem(ctx, b)
			},
			want:    storage.ErrAlreadyExists,
			wantKey: "key/a1",
		},
		{
			name: "update stale version",
			op: func(ctx context.Context, tx storage.Tx) error {
				return tx.UpdateItem(ctx, stored(newItem(kindUser, "a", poolA, []string{"key/new"}, nil), 1))
			},
			want: storage.ErrConflict,
		},
		{
			name: "update future version",
			op: func(ctx context.Context, tx storage.Tx) error {
				return tx.UpdateItem(ctx, stored(newItem(kindUser, "a", poolA, []string{"key/new"}, nil), 3))
			},
			want: storage.ErrConflict,
		},
		{
			name: "update missing",
			op: func(ctx context.Context, tx storage.Tx) error {
				return tx.UpdateItem(ctx, stored(newItem(kindUser, "missing", poolA, []string{"key/new"}, nil), 1))
			},
			want: storage.ErrNotFound,
		},
		{
			name: "update in the wrong kind",
			op: func(ctx context.Context, tx storage.Tx) error {
				return tx.UpdateItem(ctx, stored(newItem(kindClient, "a", poolA, nil, nil), 2))
			},
			want: storage.ErrNotFound,
		},
		{
			name: "delete stale version",
			op:   func(ctx context.Context, tx storage.Tx) error { return tx.DeleteItem(ctx, kindUser, "a", 1) },
			want: storage.ErrConflict,
		},
		{
			name: "delete missing",
			op:   func(ctx context.Context, tx storage.Tx) error { return tx.DeleteItem(ctx, kindUser, "missing", 1) },
			want: storage.ErrNotFound,
		},
		{
			name: "create with invalid JSON data",
			op: func(ctx context.Context, tx storage.Tx) error {
				it := newItem(kindUser, "new", poolA, []string{"key/new"}, nil)
				it.Data = []byte(`{"a":`)
				return tx.CreateItem(ctx, it)
			},
		},
		{
			name: "create with a key that is not UTF-8",
			op: func(ctx context.Context, tx storage.Tx) error {
				return tx.CreateItem(ctx, newItem(kindUser, "new", poolA, []string{"key/new", "key/\xff"}, nil))
			},
		},
		{
			name: "create with a NUL in the index",
			op: func(ctx context.Context, tx storage.Tx) error {
				return tx.CreateItem(ctx, newItem(kindUser, "new", poolA, nil, []string{"idx/\x00"}))
			},
		},
	}
	checkErr := func(t *testing.T, err error, want error, wantKey string) {
		t.Helper()
		if err == nil {
			t.Fatal("the mutation succeeded")
		}
		if want != nil && !errors.Is(err, want) {
			t.Errorf("error = %v, want %v", err, want)
		}
		var kc *storage.KeyConflictError
		switch {
		case wantKey == "" && errors.As(err, &kc):
			t.Errorf("error = %v is a *KeyConflictError, want none", err)
		case wantKey != "" && !errors.As(err, &kc):
			t.Errorf("error = %v, want a *KeyConflictError", err)
		case wantKey != "" && (kc.Key != wantKey || kc.Kind != kindUser):
			t.Errorf("KeyConflictError names %s %q, want %s %q", kc.Kind, kc.Key, kindUser, wantKey)
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			itemFixture(t, s)
			before := dumpFixture(t, s)

			// The caller returns the error: Tx returns it, and nothing is
			// written.
			err := s.Tx(ctx, func(tx storage.Tx) error { return tc.op(ctx, tx) })
			checkErr(t, err, tc.want, tc.wantKey)
			if diff := cmp.Diff(before, dumpFixture(t, s), cmpOpts); diff != "" {
				t.Errorf("failed mutation changed the store (-before +after):\n%s", diff)
			}

			// The caller goes on: the failed call wrote nothing and the
			// transaction still commits its other writes.
			other := newItem(kindClient, "other", poolB, []string{"key/new2"}, []string{"idx/other"})
			err = s.Tx(ctx, func(tx storage.Tx) error {
				checkErr(t, tc.op(ctx, tx), tc.want, tc.wantKey)
				return tx.CreateItem(ctx, other)
			})
			if err != nil {
				t.Fatalf("Tx going on after the failure: %v", err)
			}
			after := dumpFixture(t, s)
			want := before
			want.Items = append(slices.Clone(before.Items), stored(other, 1))
			want.Keys = map[string]string{"client/key/new2": "other"}
			for k, v := range before.Keys {
				want.Keys[k] = v
			}
			// The client entries come last and "idx/other" sorts after them.
			want.Entries = append(slices.Clone(before.Entries), "client/idx/other/other")
			want.Counts = map[string]int64{"client/" + poolB: 1}
			for k, v := range before.Counts {
				want.Counts[k] += v
			}
			if len(after.Changes) != len(before.Changes)+1 {
				t.Fatalf("change log has %d entries, want %d (one create)", len(after.Changes), len(before.Changes)+1)
			}
			want.Changes = append(slices.Clone(before.Changes), after.Changes[len(after.Changes)-1])
			if c := after.Changes[len(after.Changes)-1]; c.Kind != storage.ChangeCreate || c.Key != "other" {
				t.Errorf("last change is %s %q, want create of other", c.Kind, c.Key)
			}
			if diff := cmp.Diff(want, after, cmpOpts); diff != "" {
				t.Errorf("store after the Tx went on (-want +got):\n%s", diff)
			}
		})
	}
}

// writeMany makes several writes of every kind through tx, the pool one
// included, so that the rollback cases can check that none remains.
func writeMany(ctx context.Context, tx storage.Tx) error {
	for i := range 3 {
		it := newItem(kindUser, fmt.Sprintf("n%d", i), poolA, []string{fmt.Sprintf("key/n%d", i)}, []string{"idx/n"})
		if err := tx.CreateItem(ctx, it); err != nil {
			return err
		}
	}
	a, err := tx.GetItem(ctx, kindUser, "a")
	if err != nil {
		return err
	}
	a.Keys = []string{"key/new"}
	a.Index = []string{"idx/new"}
	if err := tx.UpdateItem(ctx, a); err != nil {
		return err
	}
	if err := tx.DeleteItem(ctx, kindUser, "b", 1); err != nil {
		return err
	}
	if _, err := tx.DeleteItems(ctx, kindClient, poolA); err != nil {
		return err
	}
	p, err := tx.GetUserPool(ctx, poolA)
	if err != nil {
		return err
	}
	p.Name = "renamed"
	return tx.UpdateUserPool(ctx, p)
}

func testItemTxRollback(t *testing.T, s storage.Store) {
	ctx := context.Background()
	mustCreate(t, s, newPool(poolA, Region, "pool"))
	itemFixture(t, s)
	before := dumpFixture(t, s)
	pool := mustGet(t, s, poolA)

	errStop := errors.New("stop")
	err := s.Tx(ctx, func(tx storage.Tx) error {
		if err := writeMany(ctx, tx); err != nil {
			t.Errorf("writes: %v", err)
		}
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("Tx error = %v, want fn's error", err)
	}
	if diff := cmp.Diff(before, dumpFixture(t, s), cmpOpts); diff != "" {
		t.Errorf("rolled-back Tx changed the store (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(pool, mustGet(t, s, poolA), cmpOpts); diff != "" {
		t.Errorf("rolled-back Tx changed the pool (-before +after):\n%s", diff)
	}
	// The same writes commit when fn returns nil.
	inTx(t, s, writeMany)
	if got := mustGet(t, s, poolA); got.Name != "renamed" {
		t.Errorf("pool name after commit = %q, want renamed", got.Name)
	}
	// Deleting erases earlier entries of the deleted items, so count the
	// entries the Tx added.
	if n := len(changesAfter(t, s, before.Changes)); n != 7 {
		t.Errorf("committed Tx logged %d changes, want 7", n)
	}
}

func testItemTxPanic(t *testing.T, s storage.Store) {
	ctx := context.Background()
	mustCreate(t, s, newPool(poolA, Region, "pool"))
	itemFixture(t, s)
	before := dumpFixture(t, s)
	pool := mustGet(t, s, poolA)

	type boom struct{ n int }
	var recovered any
	func() {
		defer func() { recovered = recover() }()
		s.Tx(ctx, func(tx storage.Tx) error {
			if err := writeMany(ctx, tx); err != nil {
				t.Errorf("writes: %v", err)
			}
			panic(boom{42})
		})
	}()
	if recovered != (boom{42}) {
		t.Fatalf("recovered %v, want Tx to re-panic with fn's value", recovered)
	}
	if diff := cmp.Diff(before, dumpFixture(t, s), cmpOpts); diff != "" {
		t.Errorf("panicking Tx changed the store (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(pool, mustGet(t, s, poolA), cmpOpts); diff != "" {
		t.Errorf("panicking Tx changed the pool (-before +after):\n%s", diff)
	}
	// The store still works.
	mustCreateItem(t, s, newItem(kindUser, "after", poolA, []string{"key/after"}, nil))
}

func testItemTxEnded(t *testing.T, s storage.Store) {
	ctx := context.Background()
	var kept storage.Tx
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		kept = tx
		return nil
	})
	if err := kept.CreateItem(ctx, newItem(kindUser, "late", poolA, nil, nil)); err == nil {
		t.Error("CreateItem on an ended Tx succeeded")
	}
	if _, err := kept.GetItem(ctx, kindUser, "late"); err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetItem on an ended Tx: error = %v, want a non-sentinel error", err)
	}
	if _, err := s.GetItem(ctx, kindUser, "late"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetItem(late) error = %v, want ErrNotFound", err)
	}
}

// testItemTxPools runs the pool methods of Tx: reads see the transaction's
// own writes and the sentinels are those of the Store's methods.
func testItemTxPools(t *testing.T, s storage.Store) {
	ctx := context.Background()
	p := newPool(poolA, Region, "pool")
	mustCreate(t, s, p)
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		got, err := tx.GetUserPool(ctx, poolA)
		if err != nil {
			return err
		}
		got.Name = "renamed"
		if err := tx.UpdateUserPool(ctx, got); err != nil {
			return err
		}
		if got.Version != 2 {
			t.Errorf("Version after UpdateUserPool = %d, want 2", got.Version)
		}
		again, err := tx.GetUserPool(ctx, poolA)
		if err != nil {
			return err
		}
		if again.Name != "renamed" {
			t.Errorf("GetUserPool inside the Tx name = %q, want renamed", again.Name)
		}
		stale := *got
		stale.Version = 1
		if err := tx.UpdateUserPool(ctx, &stale); !errors.Is(err, storage.ErrConflict) {
			t.Errorf("stale UpdateUserPool error = %v, want ErrConflict", err)
		}
		if err := tx.DeleteUserPool(ctx, poolA, 1); !errors.Is(err, storage.ErrConflict) {
			t.Errorf("stale DeleteUserPool error = %v, want ErrConflict", err)
		}
		if _, err := tx.GetUserPool(ctx, poolB); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("GetUserPool(missing) error = %v, want ErrNotFound", err)
		}
		return tx.DeleteUserPool(ctx, poolA, 2)
	})
	if _, err := s.GetUserPool(ctx, poolA); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetUserPool after the Tx deleted it: error = %v, want ErrNotFound", err)
	}
	changes := allChanges(t, s)
	var kinds []storage.ChangeKind
	for _, c := range changes {
		kinds = append(kinds, c.Kind)
	}
	// Deleting the pool erased its create and update entries.
	if diff := cmp.Diff([]storage.ChangeKind{storage.ChangeDelete}, kinds); diff != "" {
		t.Errorf("change kinds mismatch (-want +got):\n%s", diff)
	}
}

// scanAll pages through ScanIndex with in.Limit per page.
func scanAll(t *testing.T, r storage.ItemReader, in storage.ScanInput) []storage.IndexEntry {
	t.Helper()
	var all []storage.IndexEntry
	for page := 0; ; page++ {
		if page > 1000 {
			t.Fatalf("ScanIndex paging did not end")
		}
		entries, err := r.ScanIndex(context.Background(), in)
		if err != nil {
			t.Fatalf("ScanIndex(%+v): %v", in, err)
		}
		if len(entries) > in.Limit {
			t.Fatalf("ScanIndex returned %d entries, limit %d", len(entries), in.Limit)
		}
		if len(entries) == 0 {
			return all
		}
		all = append(all, entries...)
		last := entries[len(entries)-1]
		in.AfterKey, in.AfterID = last.Key, last.Item.ID
	}
}

// listAll pages through ListItems.
func listAll(t *testing.T, r storage.ItemReader, kind, pool string) []*storage.Item {
	t.Helper()
	var all []*storage.Item
	in := storage.ListItemsInput{Kind: kind, Pool: pool, Limit: 3}
	for page := 0; ; page++ {
		if page > 1000 {
			t.Fatalf("ListItems paging did not end")
		}
		items, err := r.ListItems(context.Background(), in)
		if err != nil {
			t.Fatalf("ListItems(%+v): %v", in, err)
		}
		if len(items) == 0 {
			return all
		}
		all = append(all, items...)
		in.AfterID = items[len(items)-1].ID
	}
}

func entryKeys(entries []storage.IndexEntry) []string {
	var keys []string
	for _, e := range entries {
		keys = append(keys, e.Key)
	}
	return keys
}

// scanValues are index values that trip backends which match prefixes with
// LIKE or GLOB, compare with a locale collation or mishandle the top of the
// code space; some are prefixes of others.
var scanValues = []string{
	"", "%", "%%", "_", "a_c", "abc", "a", "ab", "a%", "A", "\\", "\\%", "'", "''", "\"", "é", "e", "ea",
	"e\u0301", "z", "\U0010FFFF", "\U0010FFFFx", "\U0010FFFF\U0010FFFF", "\uffff", "*", "?", "[", "]", " ", "a b",
}

// scanFixture creates items whose index entries are "v/"+value for each of
// scanValues, several items per entry for some values, in two kinds, plus
// entries just outside the "v/" range. It returns every user entry as
// key+"\x00"+ID, sorted.
func scanFixture(t *testing.T, s storage.Store) []string {
	type entry struct{ key, id string }
	var entries []entry
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		for i, v := range scanValues {
			ids := []string{fmt.Sprintf("u%02d", i)}
			if i%3 == 0 {
				// Several items per key, created out of ID order.
				ids = append(ids, fmt.Sprintf("u%02dz", i), fmt.Sprintf("u%02dA", i))
			}
			for _, id := range ids {
				index := []string{"v/" + v, "w/" + id}
				it := newItem(kindUser, id, poolA, nil, index)
				if err := tx.CreateItem(ctx, it); err != nil {
					return err
				}
				for _, k := range index {
					entries = append(entries, entry{k, id})
				}
				// The same entries in another kind, which no user scan
				// may return.
				if err := tx.CreateItem(ctx, newItem(kindClient, id, poolA, nil, index)); err != nil {
					return err
				}
			}
		}
		for _, k := range []string{"v", "v.", "v0", "u/zzz", "V/a", "\U0010FFFF/top", "\U0010FFFF"} {
			id := "edge" + k
			if err := tx.CreateItem(ctx, newItem(kindUser, id, poolB, nil, []string{k})); err != nil {
				return err
			}
			entries = append(entries, entry{k, id})
		}
		return nil
	})
	var out []string
	for _, e := range entries {
		out = append(out, e.key+"\x00"+e.id)
	}
	// Byte order of (key, ID): "\x00" sorts before every other byte, and
	// no key or ID holds one.
	slices.Sort(out)
	return out
}

// expectScan returns the entries of all (from scanFixture) that in selects,
// ignoring the cursor and limit.
func expectScan(all []string, in storage.ScanInput) []string {
	var want []string
	for _, e := range all {
		key, _, _ := strings.Cut(e, "\x00")
		if in.Exact && key == in.Prefix || !in.Exact && strings.HasPrefix(key, in.Prefix) {
			want = append(want, e)
		}
	}
	return want
}

func flattenEntries(t *testing.T, entries []storage.IndexEntry) []string {
	t.Helper()
	var out []string
	for _, e := range entries {
		out = append(out, e.Key+"\x00"+e.Item.ID)
		if e.Item.Kind != kindUser {
			t.Errorf("entry %q is of kind %q, want %q", e.Key, e.Item.Kind, kindUser)
		}
		if !slices.Contains(e.Item.Index, e.Key) {
			t.Errorf("entry %q: item %q has index %q without the key", e.Key, e.Item.ID, e.Item.Index)
		}
	}
	return out
}

// scanPrefixes are the ScanIndex cases of testScanIndex and
// testScanIndexPaging.
var scanPrefixes = []struct {
	prefix string
	exact  bool
}{
	{"", false}, {"v/", false}, {"v/a", false}, {"v/ab", false}, {"v/a_", false}, {"v/%", false}, {"v/_", false},
	{"v/\\", false}, {"v/'", false}, {"v/\"", false}, {"v/é", false}, {"v/e", false}, {"v/\U0010FFFF", false},
	{"v/\U0010FFFF\U0010FFFF", false}, {"\U0010FFFF", false}, {"v", false}, {"v/[", false}, {"v/*", false},
	{"v/", true}, {"v/a", true}, {"v/%", true}, {"v/_", true}, {"v/\\", true}, {"v/'", true}, {"v/é", true},
	{"v/\U0010FFFF", true}, {"v/a%", true}, {"v/missing", true}, {"v/missing", false}, {"v", true},
}

func testScanIndex(t *testing.T, s storage.Store) {
	all := scanFixture(t, s)
	for _, tc := range scanPrefixes {
		t.Run(fmt.Sprintf("%+q exact=%v", tc.prefix, tc.exact), func(t *testing.T) {
			in := storage.ScanInput{Kind: kindUser, Prefix: tc.prefix, Exact: tc.exact, Limit: 1000}
			want := expectScan(all, in)
			entries, err := s.ScanIndex(context.Background(), in)
			if err != nil {
				t.Fatalf("ScanIndex: %v", err)
			}
			if diff := cmp.Diff(want, flattenEntries(t, entries), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("entries mismatch (-want +got):\n%s", diff)
			}
			// Entries carry whole items.
			for _, e := range entries {
				if diff := cmp.Diff(mustGetItem(t, s, kindUser, e.Item.ID), e.Item, cmpOpts); diff != "" {
					t.Errorf("entry %q item differs from GetItem (-get +entry):\n%s", e.Key, diff)
				}
				break
			}
			// DataOnly: the same entries, their items without keys and
			// index entries.
			in.DataOnly = true
			dataOnly, err := s.ScanIndex(context.Background(), in)
			if err != nil {
				t.Fatalf("ScanIndex, DataOnly: %v", err)
			}
			if len(dataOnly) != len(entries) {
				t.Fatalf("DataOnly: %d entries, want %d", len(dataOnly), len(entries))
			}
			for i, e := range dataOnly {
				if e.Key != entries[i].Key {
					t.Errorf("DataOnly entry %d: key %q, want %q", i, e.Key, entries[i].Key)
				}
				whole := *entries[i].Item
				whole.Keys, whole.Index = nil, nil
				if diff := cmp.Diff(&whole, e.Item, cmpOpts); diff != "" {
					t.Errorf("DataOnly entry %q: (-want +got):\n%s", e.Key, diff)
				}
			}
		})
	}
	// A Tx scans the same.
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		in := storage.ScanInput{Kind: kindUser, Prefix: "v/a", Limit: 1000}
		entries, err := tx.ScanIndex(ctx, in)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(expectScan(all, in), flattenEntries(t, entries), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("ScanIndex in a Tx mismatch (-want +got):\n%s", diff)
		}
		return nil
	})
}

func testScanIndexPaging(t *testing.T, s storage.Store) {
	all := scanFixture(t, s)
	for _, tc := range scanPrefixes {
		for _, limit := range []int{1, 2, 5} {
			t.Run(fmt.Sprintf("%+q exact=%v limit=%d", tc.prefix, tc.exact, limit), func(t *testing.T) {
				in := storage.ScanInput{Kind: kindUser, Prefix: tc.prefix, Exact: tc.exact, Limit: limit}
				want := expectScan(all, in)
				got := flattenEntries(t, scanAll(t, s, in))
				if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("paged entries mismatch (-want +got):\n%s", diff)
				}
			})
		}
	}
	// Cursors: before the range starts from its beginning, inside it
	// continues strictly after (key, ID), past it returns nothing.
	tests := []struct {
		name     string
		in       storage.ScanInput
		wantFrom string // the first entry expected, "" for none
	}{
		{"cursor before the prefix", storage.ScanInput{Prefix: "v/a", AfterKey: "v/", AfterID: "zzz"}, "v/a\x00u06"},
		{"cursor between IDs of one key", storage.ScanInput{Prefix: "v/", AfterKey: "v/_", AfterID: "u03"}, "v/_\x00u03A"},
		{"cursor at an absent key", storage.ScanInput{Prefix: "v/", AfterKey: "v/aa", AfterID: ""}, "v/ab\x00u07"},
		{"cursor past the prefix", storage.ScanInput{Prefix: "v/a", AfterKey: "v/b", AfterID: ""}, ""},
		{"exact, cursor before the key", storage.ScanInput{Prefix: "v/a", Exact: true, AfterKey: "v/", AfterID: "u00"}, "v/a\x00u06"},
		{"exact, cursor inside the key", storage.ScanInput{Prefix: "v/a", Exact: true, AfterKey: "v/a", AfterID: "u06"}, "v/a\x00u06A"},
		{"exact, cursor past the key", storage.ScanInput{Prefix: "v/a", Exact: true, AfterKey: "v/a%", AfterID: ""}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Kind, in.Limit = kindUser, 1
			entries, err := s.ScanIndex(context.Background(), in)
			if err != nil {
				t.Fatalf("ScanIndex: %v", err)
			}
			var want []string
			if tc.wantFrom != "" {
				want = []string{tc.wantFrom}
			}
			if diff := cmp.Diff(want, flattenEntries(t, entries), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("first entry mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := s.ScanIndex(context.Background(), storage.ScanInput{Kind: kindUser, Limit: 0}); err == nil {
		t.Error("ScanIndex accepted limit 0")
	}
}

func testListItems(t *testing.T, s storage.Store) {
	ctx := context.Background()
	ids := []string{"b", "B", "a1", "A0", "Z", "z-", "0", "é", "e"}
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, id := range ids {
			if err := tx.CreateItem(ctx, newItem(kindUser, id, poolA, []string{"key/" + id}, nil)); err != nil {
				return err
			}
		}
		// Another pool and another kind, which no listing of poolA users
		// may return.
		for _, it := range []*storage.Item{
			newItem(kindUser, "c", poolB, nil, nil),
			newItem(kindClient, "a2", poolA, nil, nil),
			newItem(kindUser, "d", "", nil, nil),
		} {
			if err := tx.CreateItem(ctx, it); err != nil {
				return err
			}
		}
		return nil
	})
	slices.Sort(ids) // bytes: 0 A0 B Z a1 b e z- é
	tests := []struct {
		name string
		in   storage.ListItemsInput
		want []string
	}{
		{"first page", storage.ListItemsInput{Kind: kindUser, Pool: poolA, Limit: 3}, ids[:3]},
		{"all", storage.ListItemsInput{Kind: kindUser, Pool: poolA, Limit: 100}, ids},
		{"after id", storage.ListItemsInput{Kind: kindUser, Pool: poolA, AfterID: ids[2], Limit: 2}, ids[3:5]},
		{"after an absent id", storage.ListItemsInput{Kind: kindUser, Pool: poolA, AfterID: "Y", Limit: 2}, []string{"Z", "a1"}},
		{"after last", storage.ListItemsInput{Kind: kindUser, Pool: poolA, AfterID: "é", Limit: 5}, nil},
		{"other pool", storage.ListItemsInput{Kind: kindUser, Pool: poolB, Limit: 10}, []string{"c"}},
		{"no pool", storage.ListItemsInput{Kind: kindUser, Pool: "", Limit: 10}, []string{"d"}},
		{"other kind", storage.ListItemsInput{Kind: kindClient, Pool: poolA, Limit: 10}, []string{"a2"}},
		{"unknown kind", storage.ListItemsInput{Kind: "group", Pool: poolA, Limit: 10}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items, err := s.ListItems(ctx, tc.in)
			if err != nil {
				t.Fatalf("ListItems(%+v): %v", tc.in, err)
			}
			var got []string
			for _, it := range items {
				got = append(got, it.ID)
				if it.Kind != tc.in.Kind || it.Pool != tc.in.Pool {
					t.Errorf("item %q is %s in %q, want %s in %q", it.ID, it.Kind, it.Pool, tc.in.Kind, tc.in.Pool)
				}
				checkItemUTC(t, it)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("IDs mismatch (-want +got):\n%s", diff)
			}
		})
	}
	// Paging covers every item once, and listed items are whole.
	var got []string
	for _, it := range listAll(t, s, kindUser, poolA) {
		got = append(got, it.ID)
		if diff := cmp.Diff(mustGetItem(t, s, kindUser, it.ID), it, cmpOpts); diff != "" {
			t.Errorf("listed item %q differs from GetItem (-get +list):\n%s", it.ID, diff)
		}
	}
	if diff := cmp.Diff(ids, got); diff != "" {
		t.Errorf("paged IDs mismatch (-want +got):\n%s", diff)
	}
	if _, err := s.ListItems(ctx, storage.ListItemsInput{Kind: kindUser, Pool: poolA}); err == nil {
		t.Error("ListItems accepted limit 0")
	}
}

func testCountItems(t *testing.T, s storage.Store) {
	ctx := context.Background()
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		for i := range 5 {
			if err := tx.CreateItem(ctx, newItem(kindUser, fmt.Sprintf("a%d", i), poolA, nil, nil)); err != nil {
				return err
			}
		}
		for i := range 2 {
			if err := tx.CreateItem(ctx, newItem(kindUser, fmt.Sprintf("b%d", i), poolB, nil, nil)); err != nil {
				return err
			}
		}
		if err := tx.CreateItem(ctx, newItem(kindClient, "c", poolA, nil, nil)); err != nil {
			return err
		}
		// A Tx counts its own writes.
		if n, err := tx.CountItems(ctx, kindUser, poolA); err != nil || n != 5 {
			t.Errorf("CountItems in the Tx = %d, %v; want 5", n, err)
		}
		return tx.DeleteItem(ctx, kindUser, "a0", 1)
	})
	tests := []struct {
		kind, pool string
		want       int64
	}{
		{kindUser, poolA, 4},
		{kindUser, poolB, 2},
		{kindClient, poolA, 1},
		{kindClient, poolB, 0},
		{"group", poolA, 0},
	}
	for _, tc := range tests {
		n, err := s.CountItems(ctx, tc.kind, tc.pool)
		if err != nil {
			t.Fatalf("CountItems(%s, %s): %v", tc.kind, tc.pool, err)
		}
		if n != tc.want {
			t.Errorf("CountItems(%s, %s) = %d, want %d", tc.kind, tc.pool, n, tc.want)
		}
	}
}

func testDeleteItems(t *testing.T, s storage.Store) {
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		for i := range 4 {
			id := fmt.Sprintf("a%d", i)
			it := newItem(kindUser, id, poolA, []string{"key/" + id}, []string{"idx/a", "idx/" + id})
			if err := tx.CreateItem(ctx, it); err != nil {
				return err
			}
		}
		for _, it := range []*storage.Item{
			newItem(kindUser, "b0", poolB, []string{"key/b0"}, []string{"idx/a"}),
			newItem(kindClient, "a0", poolA, []string{"key/a0"}, []string{"idx/a"}),
		} {
			if err := tx.CreateItem(ctx, it); err != nil {
				return err
			}
		}
		return nil
	})
	before := allChanges(t, s)

	var n int64
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		n, err = tx.DeleteItems(ctx, kindUser, poolA)
		return err
	})
	if n != 4 {
		t.Errorf("DeleteItems deleted %d, want 4", n)
	}
	got := dumpItems(t, s, []string{kindUser, kindClient}, []string{poolA, poolB},
		[]string{"key/a0", "key/a1", "key/b0"})
	want := itemDump{
		Items: []*storage.Item{
			stored(newItem(kindUser, "b0", poolB, []string{"key/b0"}, []string{"idx/a"}), 1),
			stored(newItem(kindClient, "a0", poolA, []string{"key/a0"}, []string{"idx/a"}), 1),
		},
		Keys:    map[string]string{"user/key/b0": "b0", "client/key/a0": "a0"},
		Entries: []string{"user/idx/a/b0", "client/idx/a/a0"},
		Counts: map[string]int64{
			"user/" + poolA: 0, "user/" + poolB: 1, "client/" + poolA: 1, "client/" + poolB: 0,
		},
	}
	changes := got.Changes
	got.Changes = nil
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("store after DeleteItems (-want +got):\n%s", diff)
	}
	// The purge erased the entries of the four users it deleted, and
	// logged one entry.
	var wantKept []storage.Change
	for _, c := range before {
		if c.Entity != storage.Entity(kindUser) || !strings.HasPrefix(c.Key, "a") {
			wantKept = append(wantKept, c)
		}
	}
	if len(changes) != len(wantKept)+1 {
		t.Fatalf("after DeleteItems the log has %d entries, want %d", len(changes), len(wantKept)+1)
	}
	if diff := cmp.Diff(wantKept, changes[:len(wantKept)]); diff != "" {
		t.Errorf("entries kept by DeleteItems (-want +got):\n%s", diff)
	}
	c := changes[len(changes)-1]
	if c.Kind != storage.ChangePurge || c.Entity != storage.Entity(kindUser) || c.Key != poolA || c.State != nil {
		t.Errorf("purge entry = %s %s %q state %q, want purge %s %q with no state", c.Kind, c.Entity, c.Key, c.State, kindUser, poolA)
	}
	// The freed keys and IDs can be used again.
	mustCreateItem(t, s, newItem(kindUser, "a1", poolB, []string{"key/a1"}, nil))

	// Purging an empty set deletes nothing and still logs its entry.
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		n, err = tx.DeleteItems(ctx, kindUser, poolA)
		return err
	})
	if n != 0 {
		t.Errorf("second DeleteItems deleted %d, want 0", n)
	}
	if after := allChanges(t, s); len(after) != len(changes)+2 || after[len(after)-1].Kind != storage.ChangePurge {
		t.Errorf("change log after the second purge has %d entries, want %d ending in a purge", len(after), len(changes)+2)
	}
}

// testDeletePoolItems fills two pools with items of replicated and local
// kinds, and deletes one pool's items whatever their kind: the other
// pool's stay, the deleted items' keys are free, their change-log entries
// are erased, and one purge entry is logged for each replicated kind (none
// for the local one). A transaction that fails after it keeps everything,
// and a second call finds nothing and logs nothing.
func testDeletePoolItems(t *testing.T, s storage.Store) {
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, it := range []*storage.Item{
			newItem(kindUser, "a0", poolA, []string{"key/a0"}, []string{"idx/a", "idx/a0"}),
			newItem(kindUser, "a1", poolA, []string{"key/a1"}, []string{"idx/a"}),
			newItem(kindClient, "ca", poolA, []string{"key/ca"}, []string{"idx/a"}),
			newItem(kindLocal, "la0", poolA, []string{"key/la0"}, []string{"idx/a"}),
			newItem(kindLocal, "la1", poolA, nil, nil),
			newItem(kindUser, "b0", poolB, []string{"key/b0"}, []string{"idx/a"}),
			newItem(kindClient, "cb", poolB, nil, nil),
			newItem(kindLocal, "lb", poolB, []string{"key/lb"}, nil),
		} {
			if err := tx.CreateItem(ctx, it); err != nil {
				return err
			}
		}
		return nil
	})
	// A second state of a0, so that the log holds two entries of it.
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		it, err := tx.GetItem(ctx, kindUser, "a0")
		if err != nil {
			return err
		}
		it.Data = []byte(`{"changed":true}`)
		return tx.UpdateItem(ctx, it)
	})
	// Items of each pool deleted earlier, which leave a tombstone each.
	for _, it := range []*storage.Item{newItem(kindClient, poolA+"/gone", poolA, nil, nil), newItem(kindClient, poolB+"/gone", poolB, nil, nil)} {
		mustCreateItem(t, s, it)
		inTx(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteItem(ctx, it.Kind, it.ID, it.Version) })
	}
	before := allChanges(t, s)
	kinds, pools := []string{kindUser, kindClient, kindLocal}, []string{poolA, poolB}
	keys := []string{"key/a0", "key/a1", "key/ca", "key/la0", "key/b0", "key/lb"}
	full := dumpItems(t, s, kinds, pools, keys)

	// All or nothing: a transaction that fails after the deletion keeps
	// every item and entry.
	failed := errors.New("fail after the deletion")
	err := s.Tx(context.Background(), func(tx storage.Tx) error {
		if n, err := tx.DeletePoolItems(context.Background(), poolA); err != nil || n != 5 {
			t.Errorf("DeletePoolItems in the failed transaction = %d, %v; want 5", n, err)
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("Tx = %v, want its own error", err)
	}
	if diff := cmp.Diff(full, dumpItems(t, s, kinds, pools, keys), cmpOpts); diff != "" {
		t.Errorf("store after a failed DeletePoolItems (-before +after):\n%s", diff)
	}

	var n int64
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		n, err = tx.DeletePoolItems(ctx, poolA)
		return err
	})
	if n != 5 {
		t.Errorf("DeletePoolItems deleted %d, want 5", n)
	}
	got := dumpItems(t, s, kinds, pools, keys)
	changes := got.Changes
	got.Changes = nil
	want := itemDump{
		Items: []*storage.Item{
			stored(newItem(kindUser, "b0", poolB, []string{"key/b0"}, []string{"idx/a"}), 1),
			stored(newItem(kindClient, "cb", poolB, nil, nil), 1),
			stored(newItem(kindLocal, "lb", poolB, []string{"key/lb"}, nil), 1),
		},
		Keys:    map[string]string{"user/key/b0": "b0", kindLocal + "/key/lb": "lb"},
		Entries: []string{"user/idx/a/b0"},
		Counts: map[string]int64{
			"user/" + poolA: 0, "user/" + poolB: 1, "client/" + poolA: 0, "client/" + poolB: 1,
			kindLocal + "/" + poolA: 0, kindLocal + "/" + poolB: 1,
		},
	}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("store after DeletePoolItems (-want +got):\n%s", diff)
	}
	// The entries of the deleted items went, and the tombstones of the
	// pool's items deleted earlier (the other pool's stay); one purge
	// entry a replicated kind followed.
	deleted := map[string]bool{"a0": true, "a1": true, "ca": true}
	var wantKept []storage.Change
	for _, c := range before {
		if !deleted[c.Key] && !strings.HasPrefix(c.Key, poolA+"/") {
			wantKept = append(wantKept, c)
		}
	}
	if !slices.ContainsFunc(wantKept, func(c storage.Change) bool { return c.Key == poolB+"/gone" }) {
		t.Fatalf("the other pool's tombstone is not in the log before the deletion")
	}
	if len(changes) != len(wantKept)+2 {
		t.Fatalf("after DeletePoolItems the log has %d entries, want %d", len(changes), len(wantKept)+2)
	}
	if diff := cmp.Diff(wantKept, changes[:len(wantKept)]); diff != "" {
		t.Errorf("entries kept by DeletePoolItems (-want +got):\n%s", diff)
	}
	var purged []string
	for _, c := range changes[len(wantKept):] {
		if c.Kind != storage.ChangePurge || c.Key != poolA || c.State != nil {
			t.Errorf("entry %s %s %q state %q, want a purge of %q with no state", c.Kind, c.Entity, c.Key, c.State, poolA)
		}
		purged = append(purged, string(c.Entity))
	}
	slices.Sort(purged)
	if diff := cmp.Diff([]string{kindClient, kindUser}, purged); diff != "" {
		t.Errorf("kinds purged (-want +got):\n%s", diff)
	}
	// The freed keys and IDs can be used again.
	mustCreateItem(t, s, newItem(kindUser, "a0", poolB, []string{"key/a0"}, nil))
	mustCreateItem(t, s, newItem(kindLocal, "la0", poolB, []string{"key/la0"}, nil))

	// A pool with no items left: nothing deleted, nothing logged.
	after := allChanges(t, s)
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		var err error
		n, err = tx.DeletePoolItems(ctx, poolA)
		return err
	})
	if n != 0 {
		t.Errorf("second DeletePoolItems deleted %d, want 0", n)
	}
	if logged := changesAfter(t, s, after); len(logged) != 0 {
		t.Errorf("second DeletePoolItems logged %d entries, want none", len(logged))
	}
}

func testItemChangeLog(t *testing.T, s storage.Store) {
	type entry struct {
		Kind   storage.ChangeKind
		Entity storage.Entity
		Key    string
		State  *storage.Item // nil for a delete or a purge
	}
	var want []entry

	a := newItem(kindUser, "a", poolA, []string{"key/a2", "key/a1"}, []string{"idx/a"})
	b := newItem(kindClient, "b", poolA, nil, nil)
	b.Data = nil
	// One Tx, several entries, in call order.
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		if err := tx.CreateItem(ctx, a); err != nil {
			return err
		}
		return tx.CreateItem(ctx, b)
	})
	want = append(want,
		entry{storage.ChangeCreate, storage.Entity(kindUser), "a", stored(a, 1)},
		entry{storage.ChangeCreate, storage.Entity(kindClient), "b", stored(b, 1)})

	a.Keys = []string{"key/a3"}
	a.Data = []byte(`{"changed":  true}`)
	a.UpdatedAt = base.Add(time.Minute)
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.UpdateItem(ctx, a) })
	want = append(want, entry{storage.ChangeUpdate, storage.Entity(kindUser), "a", stored(a, 2)})
	stateA := mustGetItem(t, s, kindUser, "a")

	decode := func(changes []storage.Change) []entry {
		t.Helper()
		var got []entry
		for i, c := range changes {
			if c.Region != Region {
				t.Errorf("change %d Region = %q, want %q", i, c.Region, Region)
			}
			if i > 0 && (c.Seq <= changes[i-1].Seq || c.HLC <= changes[i-1].HLC) {
				t.Errorf("change %d (seq %d, hlc %d) does not follow (seq %d, hlc %d)",
					i, c.Seq, c.HLC, changes[i-1].Seq, changes[i-1].HLC)
			}
			e := entry{Kind: c.Kind, Entity: c.Entity, Key: c.Key}
			if c.State != nil {
				it, err := storage.DecodeItem(c.State)
				if err != nil {
					t.Fatalf("change %d: DecodeItem(%s): %v", i, c.State, err)
				}
				e.State = it
			}
			got = append(got, e)
		}
		return got
	}
	got := decode(allChanges(t, s))
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("change log mismatch (-want +got):\n%s", diff)
	}
	// The state of an update is what GetItem returned, Data byte for byte.
	if len(got) == len(want) {
		if diff := cmp.Diff(stateA, got[2].State, cmpOpts); diff != "" {
			t.Errorf("change-log state differs from the stored item (-get +state):\n%s", diff)
		}
		if string(got[2].State.Data) != string(a.Data) {
			t.Errorf("change-log Data = %q, want the exact bytes %q", got[2].State.Data, a.Data)
		}
	}

	// Deleting b, then purging the pool's users, erases their earlier
	// entries: what remains of them is their tombstones.
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error { return tx.DeleteItem(ctx, kindClient, "b", 1) })
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		_, err := tx.DeleteItems(ctx, kindUser, poolA)
		return err
	})
	want = []entry{
		{storage.ChangeDelete, storage.Entity(kindClient), "b", nil},
		{storage.ChangePurge, storage.Entity(kindUser), poolA, nil},
	}
	if diff := cmp.Diff(want, decode(allChanges(t, s)), cmpOpts); diff != "" {
		t.Errorf("change log after the deletes (-want +got):\n%s", diff)
	}
}

// changesAfter returns the change-log entries written after the last of
// before.
func changesAfter(t *testing.T, s storage.Store, before []storage.Change) []storage.Change {
	t.Helper()
	var last int64
	if len(before) > 0 {
		last = before[len(before)-1].Seq
	}
	var out []storage.Change
	for _, c := range allChanges(t, s) {
		if c.Seq > last {
			out = append(out, c)
		}
	}
	return out
}

// testGetItems reads items of several kinds, one twice and some missing,
// through storage.GetItems on the store (in one statement where it reads
// several at once) and in a transaction: each as GetItem returns it, in
// the order asked, and nil for the missing.
func testGetItems(t *testing.T, s storage.Store) {
	ctx := context.Background()
	user := newItem(kindUser, poolA+"/bob", poolA, []string{poolA + "/username/bob"}, []string{poolA + "/email/bob@example.com"})
	client := newItem(kindClient, "client-1", poolA, nil, nil)
	local := newItem(kindLocal, "marker-1", poolA, nil, nil)
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, it := range []*storage.Item{user, client, local} {
			if err := tx.CreateItem(ctx, it); err != nil {
				return err
			}
		}
		return nil
	})
	refs := []storage.ItemRef{
		{Kind: kindUser, ID: user.ID}, {Kind: kindUser, ID: poolA + "/nobody"}, {Kind: kindClient, ID: client.ID},
		{Kind: kindLocal, ID: local.ID}, {Kind: kindUser, ID: user.ID}, {Kind: kindClient, ID: "no-client"},
	}
	want := []*storage.Item{stored(user, 1), nil, stored(client, 1), stored(local, 1), stored(user, 1), nil}
	check := func(where string, r storage.ItemReader) {
		t.Helper()
		got, err := storage.GetItems(ctx, r, refs)
		if err != nil {
			t.Fatalf("GetItems %s: %v", where, err)
		}
		if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
			t.Errorf("GetItems %s mismatch (-want +got):\n%s", where, diff)
		}
		for _, it := range got {
			if it != nil {
				checkItemUTC(t, it)
			}
		}
		// More than a store may read in one statement (SQLite reads
		// eight at a time), in order.
		many, manyWant := slices.Concat(refs, refs, refs, refs), slices.Concat(want, want, want, want)
		got, err = storage.GetItems(ctx, r, many)
		if err != nil {
			t.Fatalf("GetItems %s of %d: %v", where, len(many), err)
		}
		if diff := cmp.Diff(manyWant, got, cmpOpts); diff != "" {
			t.Errorf("GetItems %s of %d mismatch (-want +got):\n%s", where, len(many), diff)
		}
		// Two at once, and none.
		got, err = storage.GetItems(ctx, r, refs[:2])
		if err != nil || len(got) != 2 || got[1] != nil || got[0] == nil || got[0].ID != user.ID {
			t.Errorf("GetItems %s of two: %v, %v", where, got, err)
		}
		if got, err := storage.GetItems(ctx, r, nil); err != nil || len(got) != 0 {
			t.Errorf("GetItems %s of none: %v, %v", where, got, err)
		}
	}
	check("on the store", s)
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		check("in a Tx", tx)
		return nil
	})
}

// testGetItemsScan reads items and scans an index through
// storage.GetItemsScan (in one round trip on a store that does both at
// once, storage.ItemsScanner; GetItems then ScanIndex on the others):
// each case returns what GetItems and ScanIndex return, items in the order
// asked with nil for the missing, entries in (key, ID) order.
func testGetItemsScan(t *testing.T, s storage.Store) {
	ctx := context.Background()
	bob := newItem(kindUser, poolA+"/bob", poolA, []string{poolA + "/username/bob"}, []string{poolA + "/member-of/g1", poolA + "/member-of/g2"})
	ann := newItem(kindUser, poolA+"/ann", poolA, []string{poolA + "/username/ann"}, []string{poolA + "/member-of/g1"})
	cached := newItem(kindCachedCfg, poolA+"/cfg", poolA, nil, nil)
	inTx(t, s, func(ctx context.Context, tx storage.Tx) error {
		for _, it := range []*storage.Item{bob, ann, cached} {
			if err := tx.CreateItem(ctx, it); err != nil {
				return err
			}
		}
		return tx.CreateMarker(ctx, &storage.Marker{ID: poolA + "/used/a", Data: []byte(`{"n":1}`), ExpiresAt: base})
	})
	marker := &storage.Item{Kind: storage.MarkerKind, ID: poolA + "/used/a", Data: []byte(`{"n":1}`), Version: 1}
	g1 := storage.ScanInput{Kind: kindUser, Prefix: poolA + "/member-of/g1", Exact: true, Limit: 10}
	tests := []struct {
		name        string
		refs        []storage.ItemRef
		scan        storage.ScanInput
		wantItems   []*storage.Item
		wantEntries []string // "<key> <item ID>"
	}{
		{
			"items, a marker and the missing, with a scan", []storage.ItemRef{
				{Kind: kindUser, ID: bob.ID}, {Kind: storage.MarkerKind, ID: poolA + "/used/a"},
				{Kind: kindUser, ID: poolA + "/nobody"}, {Kind: storage.MarkerKind, ID: poolA + "/used/none"},
			}, g1,
			[]*storage.Item{stored(bob, 1), marker, nil, nil},
			[]string{poolA + "/member-of/g1 " + ann.ID, poolA + "/member-of/g1 " + bob.ID},
		},
		{
			"one item, a prefix scan", []storage.ItemRef{{Kind: kindUser, ID: ann.ID}},
			storage.ScanInput{Kind: kindUser, Prefix: poolA + "/member-of/", Limit: 2},
			[]*storage.Item{stored(ann, 1)},
			[]string{poolA + "/member-of/g1 " + ann.ID, poolA + "/member-of/g1 " + bob.ID},
		},
		{
			"a cacheable kind and a scan after a cursor", []storage.ItemRef{{Kind: kindCachedCfg, ID: cached.ID}, {Kind: kindUser, ID: bob.ID}},
			storage.ScanInput{Kind: kindUser, Prefix: poolA + "/member-of/", AfterKey: poolA + "/member-of/g1", AfterID: bob.ID, Limit: 10},
			[]*storage.Item{stored(cached, 1), stored(bob, 1)},
			[]string{poolA + "/member-of/g2 " + bob.ID},
		},
		{
			"no items, a scan that finds nothing", nil,
			storage.ScanInput{Kind: kindUser, Prefix: poolA + "/member-of/none/", Limit: 10},
			[]*storage.Item{}, nil,
		},
		{
			"a scan no entry can match", []storage.ItemRef{{Kind: kindUser, ID: bob.ID}},
			storage.ScanInput{Kind: kindUser, Prefix: poolA + "/member-of/g1", Exact: true, AfterKey: poolA + "/member-of/g2", AfterID: "x", Limit: 10},
			[]*storage.Item{stored(bob, 1)}, nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items, entries, err := storage.GetItemsScan(ctx, s, tc.refs, tc.scan)
			if err != nil {
				t.Fatalf("GetItemsScan: %v", err)
			}
			if diff := cmp.Diff(tc.wantItems, items, cmpOpts, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			var got []string
			for _, e := range entries {
				got = append(got, e.Key+" "+e.Item.ID)
				if diff := cmp.Diff(mustGetItem(t, s, e.Item.Kind, e.Item.ID), e.Item, cmpOpts); diff != "" {
					t.Errorf("entry %q item differs from GetItem (-get +entry):\n%s", e.Key, diff)
				}
			}
			if diff := cmp.Diff(tc.wantEntries, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			// The same as the two reads alone.
			alone, err := storage.GetItems(ctx, s, tc.refs)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(alone, items, cmpOpts, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("items differ from GetItems (-GetItems +GetItemsScan):\n%s", diff)
			}
			scanned, err := s.ScanIndex(ctx, tc.scan)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(scanned, entries, cmpOpts, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("entries differ from ScanIndex (-ScanIndex +GetItemsScan):\n%s", diff)
			}
		})
	}
	t.Run("a limit that is not positive", func(t *testing.T) {
		if _, _, err := storage.GetItemsScan(ctx, s, []storage.ItemRef{{Kind: kindUser, ID: bob.ID}}, storage.ScanInput{Kind: kindUser, Prefix: "x"}); err == nil {
			t.Error("GetItemsScan with limit 0: no error")
		}
	})
}
