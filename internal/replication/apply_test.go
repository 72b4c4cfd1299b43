package replication

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
)

// The kinds of these tests: widgets replicate, and their merge keeps the
// later "secret" by its "secret_at" (as directory's keeps passwords).
var (
	kindWidget = storage.DeclareKind("replication_test_widget", storage.Replicated)
	kindNote   = storage.DeclareKind("replication_test_note", storage.Replicated)
)

type widget struct {
	Name     string `json:"name"`
	Secret   string `json:"secret,omitempty"`
	SecretAt int64  `json:"secret_at,omitempty"`
	// Lost are the unique keys the widget yielded (yieldWidget).
	Lost []string `json:"lost,omitempty"`
}

// yieldWidget gives up key, noting it in the widget's data.
func yieldWidget(_ context.Context, _ storage.Tx, loser, _ *storage.Item, key string) (*storage.Item, error) {
	var w widget
	if err := json.Unmarshal(loser.Data, &w); err != nil {
		return nil, err
	}
	w.Lost = append(w.Lost, key)
	data, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	out := *loser
	out.Data = data
	out.Keys = slices.DeleteFunc(slices.Clone(loser.Keys), func(k string) bool { return k == key })
	return &out, nil
}

func mergeWidgets(winner, loser *storage.Item) (*storage.Item, bool, error) {
	var w, l widget
	if err := json.Unmarshal(winner.Data, &w); err != nil {
		return nil, false, err
	}
	if err := json.Unmarshal(loser.Data, &l); err != nil {
		return nil, false, err
	}
	if l.SecretAt <= w.SecretAt {
		return nil, false, nil
	}
	w.Secret, w.SecretAt = l.Secret, l.SecretAt
	b, err := json.Marshal(w)
	out := *winner
	out.Data = b
	return &out, true, err
}

const testPool = "us-east-1_abcdefghi"

func openStore(t *testing.T, region string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "cognate.db"), sqlite.Options{Region: region, Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func newNode(t *testing.T, st Store, region string) *Node {
	t.Helper()
	n, err := New(Options{Store: st, Region: region, Peers: []string{"us-east-1", "eu-west-1", "ap-southeast-2"},
		Merge: map[string]MergeFunc{kindWidget: mergeWidgets}, Yield: map[string]YieldFunc{kindWidget: yieldWidget}})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// at is an HLC at second s of a fixed day.
func at(s int) int64 {
	return storage.HLCAt(time.Date(2026, 12, 1, 0, 0, s, 0, time.UTC))
}

func itemChange(t *testing.T, region string, hlc int64, kind, id string, w widget, keys ...string) storage.Change {
	t.Helper()
	return itemMadeAt(t, time.Unix(1, 0), region, hlc, kind, id, w, keys...)
}

// itemMadeAt is itemChange of an item created at created.
func itemMadeAt(t *testing.T, created time.Time, region string, hlc int64, kind, id string, w widget, keys ...string) storage.Change {
	t.Helper()
	data, _ := json.Marshal(w)
	state, err := storage.EncodeItem(&storage.Item{Kind: kind, ID: id, Pool: testPool, Data: data, Keys: keys,
		CreatedAt: created, UpdatedAt: storage.HLCTime(hlc), Version: 3})
	if err != nil {
		t.Fatal(err)
	}
	return storage.Change{Seq: 1, Region: region, HLC: hlc, Kind: storage.ChangeUpdate, Entity: storage.Entity(kind), Key: id, State: state}
}

func deleteChange(region string, hlc int64, entity storage.Entity, key string) storage.Change {
	return storage.Change{Seq: 1, Region: region, HLC: hlc, Kind: storage.ChangeDelete, Entity: entity, Key: key}
}

func poolChange(t *testing.T, region string, hlc int64, name string) storage.Change {
	t.Helper()
	state, err := storage.EncodeUserPool(&storage.UserPool{ID: testPool, Region: "us-east-1", Name: name, Config: []byte(`{}`),
		CreatedAt: time.Unix(1, 0), UpdatedAt: storage.HLCTime(hlc), Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	return storage.Change{Seq: 1, Region: region, HLC: hlc, Kind: storage.ChangeCreate, Entity: storage.EntityUserPool, Key: testPool, State: state}
}

// stored returns the widget id holds in st, or nil.
func stored(t *testing.T, st storage.ItemReader, id string) *widget {
	t.Helper()
	it, err := st.GetItem(context.Background(), kindWidget, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var w widget
	if err := json.Unmarshal(it.Data, &w); err != nil {
		t.Fatal(err)
	}
	return &w
}

// localChange writes w in st as a change of st's own region.
func localChange(t *testing.T, st *sqlite.DB, id string, w widget) {
	t.Helper()
	data, _ := json.Marshal(w)
	err := st.Tx(context.Background(), func(tx storage.Tx) error {
		it, err := tx.GetItem(context.Background(), kindWidget, id)
		if errors.Is(err, storage.ErrNotFound) {
			return tx.CreateItem(context.Background(), &storage.Item{Kind: kindWidget, ID: id, Pool: testPool, Data: data})
		}
		if err != nil {
			return err
		}
		it.Data = data
		return tx.UpdateItem(context.Background(), it)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestApply(t *testing.T) {
	type step struct {
		change storage.Change
		want   outcome
		err    error
	}
	tests := []struct {
		name  string
		local []widget // written locally first, as "w1", in order
		steps func(t *testing.T) []step
		want  *widget
	}{
		{
			name: "a new item, then its redelivery",
			steps: func(t *testing.T) []step {
				c := itemChange(t, "us-east-1", at(10), kindWidget, "w1", widget{Name: "a"})
				return []step{{c, outcomeApplied, nil}, {c, outcomeSkipped, nil}}
			},
			want: &widget{Name: "a"},
		},
		{
			name: "an older state after a newer one",
			steps: func(t *testing.T) []step {
				return []step{
					{itemChange(t, "us-east-1", at(20), kindWidget, "w1", widget{Name: "new"}), outcomeApplied, nil},
					{itemChange(t, "ap-southeast-2", at(10), kindWidget, "w1", widget{Name: "old"}), outcomeSkipped, nil},
				}
			},
			want: &widget{Name: "new"},
		},
		{
			name: "equal HLCs: the greater region name wins, in either order",
			steps: func(t *testing.T) []step {
				return []step{
					{itemChange(t, "us-east-1", at(10), kindWidget, "w1", widget{Name: "us"}), outcomeApplied, nil},
					{itemChange(t, "ap-southeast-2", at(10), kindWidget, "w1", widget{Name: "ap"}), outcomeSkipped, nil},
				}
			},
			want: &widget{Name: "us"},
		},
		{
			name: "a deletion is not undone by an older delayed state",
			steps: func(t *testing.T) []step {
				return []step{
					{itemChange(t, "us-east-1", at(10), kindWidget, "w1", widget{Name: "a"}), outcomeApplied, nil},
					{deleteChange("us-east-1", at(30), storage.Entity(kindWidget), "w1"), outcomeApplied, nil},
					{itemChange(t, "ap-southeast-2", at(20), kindWidget, "w1", widget{Name: "late"}), outcomeSkipped, nil},
				}
			},
			want: nil,
		},
		{
			name: "a deletion of an item never seen here leaves a tombstone",
			steps: func(t *testing.T) []step {
				return []step{
					{deleteChange("us-east-1", at(30), storage.Entity(kindWidget), "w1"), outcomeApplied, nil},
					{itemChange(t, "ap-southeast-2", at(20), kindWidget, "w1", widget{Name: "late"}), outcomeSkipped, nil},
				}
			},
			want: nil,
		},
		{
			name: "a later state of the deleted item, made where the deletion was not seen, does not bring it back",
			steps: func(t *testing.T) []step {
				return []step{
					{deleteChange("us-east-1", at(30), storage.Entity(kindWidget), "w1"), outcomeApplied, nil},
					{itemChange(t, "ap-southeast-2", at(40), kindWidget, "w1", widget{Name: "stale"}), outcomeSkipped, nil},
				}
			},
			want: nil,
		},
		{
			name: "a deletion older than a concurrent update still deletes, and later updates stay out",
			steps: func(t *testing.T) []step {
				return []step{
					{itemChange(t, "ap-southeast-2", at(40), kindWidget, "w1", widget{Name: "concurrent"}), outcomeApplied, nil},
					{deleteChange("us-east-1", at(30), storage.Entity(kindWidget), "w1"), outcomeApplied, nil},
					{itemChange(t, "ap-southeast-2", at(50), kindWidget, "w1", widget{Name: "later"}), outcomeSkipped, nil},
				}
			},
			want: nil,
		},
		{
			name: "the same ID made anew after a deletion is applied",
			steps: func(t *testing.T) []step {
				return []step{
					{deleteChange("us-east-1", at(30), storage.Entity(kindWidget), "w1"), outcomeApplied, nil},
					{itemMadeAt(t, storage.HLCTime(at(35)), "ap-southeast-2", at(40), kindWidget, "w1", widget{Name: "again"}), outcomeApplied, nil},
					{deleteChange("eu-west-1", at(32), storage.Entity(kindWidget), "w1"), outcomeSkipped, nil},
				}
			},
			want: &widget{Name: "again"},
		},
		{
			name: "an item of a pool deleted later is not applied",
			steps: func(t *testing.T) []step {
				return []step{
					{poolChange(t, "us-east-1", at(5), "p"), outcomeApplied, nil},
					{deleteChange("us-east-1", at(30), storage.EntityUserPool, testPool), outcomeApplied, nil},
					{itemChange(t, "ap-southeast-2", at(20), kindWidget, "w1", widget{Name: "late"}), outcomeSkipped, nil},
				}
			},
			want: nil,
		},
		{
			name: "a purge removes the kind's items of the pool",
			steps: func(t *testing.T) []step {
				return []step{
					{itemChange(t, "us-east-1", at(10), kindWidget, "w1", widget{Name: "a"}), outcomeApplied, nil},
					{storage.Change{Seq: 1, Region: "us-east-1", HLC: at(30), Kind: storage.ChangePurge, Entity: storage.Entity(kindWidget), Key: testPool}, outcomeApplied, nil},
					{itemChange(t, "ap-southeast-2", at(20), kindWidget, "w1", widget{Name: "late"}), outcomeSkipped, nil},
				}
			},
			want: nil,
		},
		{
			name: "a unique key held by an item made first: the entry's item yields it",
			steps: func(t *testing.T) []step {
				return []step{
					{itemMadeAt(t, time.Unix(1, 0), "us-east-1", at(10), kindWidget, "w2", widget{Name: "first"}, "name/alice"), outcomeApplied, nil},
					{itemMadeAt(t, time.Unix(2, 0), "ap-southeast-2", at(20), kindWidget, "w1", widget{Name: "second"}, "name/alice"), outcomeApplied, nil},
				}
			},
			want: &widget{Name: "second", Lost: []string{"name/alice"}},
		},
		{
			name: "a unique key held by an item made later: the holder yields it",
			steps: func(t *testing.T) []step {
				return []step{
					{itemMadeAt(t, time.Unix(2, 0), "us-east-1", at(10), kindWidget, "w0", widget{Name: "second"}, "name/alice"), outcomeApplied, nil},
					{itemMadeAt(t, time.Unix(1, 0), "ap-southeast-2", at(5), kindWidget, "w1", widget{Name: "first"}, "name/alice"), outcomeApplied, nil},
				}
			},
			want: &widget{Name: "first"},
		},
		{
			name:  "a newer state keeps the local side's later secret, as a new local change",
			local: []widget{{Name: "local", Secret: "changed", SecretAt: 50}},
			steps: func(t *testing.T) []step {
				return []step{{itemChange(t, "us-east-1", storage.HLCAt(time.Now().Add(time.Hour)), kindWidget, "w1", widget{Name: "remote", Secret: "old", SecretAt: 10}), outcomeMerged, nil}}
			},
			want: &widget{Name: "remote", Secret: "changed", SecretAt: 50},
		},
		{
			name:  "an older state still brings its later secret",
			local: []widget{{Name: "local", Secret: "old", SecretAt: 10}},
			steps: func(t *testing.T) []step {
				return []step{{itemChange(t, "us-east-1", at(1), kindWidget, "w1", widget{Name: "remote", Secret: "changed", SecretAt: 50}), outcomeMerged, nil}}
			},
			want: &widget{Name: "local", Secret: "changed", SecretAt: 50},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, "eu-west-1")
			n := newNode(t, st, "eu-west-1")
			for _, w := range tc.local {
				localChange(t, st, "w1", w)
			}
			for i, s := range tc.steps(t) {
				got, err := n.Apply(ctx, s.change)
				if !errors.Is(err, s.err) || (s.err == nil && err != nil) {
					t.Fatalf("step %d: error %v, want %v", i, err, s.err)
				}
				if got != s.want {
					t.Fatalf("step %d: outcome %d, want %d", i, got, s.want)
				}
			}
			if diff := cmp.Diff(tc.want, stored(t, st, "w1")); diff != "" {
				t.Errorf("w1 (-want +got):\n%s", diff)
			}
		})
	}
}

// TestApplyLogsOrigin checks that an applied entry keeps its origin in the
// local log (so it is not published again), that the local clock moves
// past it, and that a merge that changes the winner is a local change.
func TestApplyLogsOrigin(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, "eu-west-1")
	n := newNode(t, st, "eu-west-1")
	future := storage.HLCAt(time.Now().Add(time.Hour))
	// The change travels through the wire form, with who made it.
	who := &storage.Actor{Kind: storage.ActorOperator, ID: "sub-1", Name: "ada", Action: "AdminUpdateUserAttributes"}
	c := itemChange(t, "us-east-1", future, kindWidget, "w1", widget{Name: "a"})
	c.Actor = who
	wire, err := encode(c)
	if err != nil {
		t.Fatal(err)
	}
	if c, err = decode(wire); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Apply(ctx, c); err != nil {
		t.Fatal(err)
	}
	localChange(t, st, "w2", widget{Name: "b"})
	changes, err := st.Changes(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 2 {
		t.Fatalf("%d entries, want 2", len(changes))
	}
	if c := changes[0]; c.Region != "us-east-1" || c.HLC != future || c.Key != "w1" || c.Pool != testPool {
		t.Errorf("applied entry %s %d %s pool %q, want us-east-1 %d w1 pool %q", c.Region, c.HLC, c.Key, c.Pool, future, testPool)
	}
	if c := changes[0]; c.Actor == nil || *c.Actor != *who {
		t.Errorf("applied entry's actor = %+v, want the origin's %+v", c.Actor, who)
	}
	if c := changes[1]; c.Region != "eu-west-1" || c.HLC <= future || c.Actor != nil {
		t.Errorf("local entry %s %d actor %+v, want eu-west-1 after %d, no actor", c.Region, c.HLC, c.Actor, future)
	}
}

// TestConverge applies the same random changes of three regions to three
// stores in different orders (each origin's own changes in its order, as
// its stream delivers them) and checks that the stores end the same. (The
// merges of TestApply write new local changes, which reach the other
// regions in turn; this test has no merges.)
func TestConverge(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	origins := []string{"us-east-1", "eu-west-1", "ap-southeast-2"}
	for round := range 20 {
		// Each origin's stream: updates and deletions of five items, at
		// HLCs that interleave with the others'.
		streams := make([][]storage.Change, len(origins))
		for i, o := range origins {
			hlc := at(rng.IntN(5))
			for range 15 {
				hlc += int64(rng.IntN(3)) << 16
				hlc++
				id := fmt.Sprintf("w%d", rng.IntN(5))
				if rng.IntN(5) == 0 {
					streams[i] = append(streams[i], deleteChange(o, hlc, storage.Entity(kindWidget), id))
					continue
				}
				w := widget{Name: fmt.Sprintf("%s-%d", o, hlc)}
				streams[i] = append(streams[i], itemChange(t, o, hlc, kindWidget, id, w))
			}
		}
		var digests []string
		for range 3 {
			st := openStore(t, "ca-central-1")
			n := newNode(t, st, "ca-central-1")
			pos := make([]int, len(streams))
			for {
				var live []int
				for i := range streams {
					if pos[i] < len(streams[i]) {
						live = append(live, i)
					}
				}
				if len(live) == 0 {
					break
				}
				i := live[rng.IntN(len(live))]
				if _, err := n.Apply(ctx, streams[i][pos[i]]); err != nil {
					t.Fatal(err)
				}
				pos[i]++
			}
			digests = append(digests, widgetDigest(t, st))
		}
		if digests[0] != digests[1] || digests[1] != digests[2] {
			t.Fatalf("round %d: the stores differ: %v", round, digests)
		}
	}
}

func widgetDigest(t *testing.T, st *sqlite.DB) string {
	t.Helper()
	items, err := st.ListItems(context.Background(), storage.ListItemsInput{Kind: kindWidget, Pool: testPool, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, it := range items {
		var w widget
		if err := json.Unmarshal(it.Data, &w); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s %s %s %d\n", it.ID, w.Name, w.Secret, w.SecretAt)
	}
	return hex.EncodeToString(h.Sum(nil))
}
