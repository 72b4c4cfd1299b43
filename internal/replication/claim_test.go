package replication

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/storage/sqlite"
)

// region is one region of the claim tests: its store, its node, and how
// far it has applied each other region's change log.
type region struct {
	name    string
	st      *sqlite.DB
	n       *Node
	applied map[string]int64 // origin region -> last sequence applied of that region's store
}

var claimRegions = []string{"us-east-1", "eu-west-1", "ap-southeast-2"}

func newRegions(t *testing.T) []*region {
	t.Helper()
	var out []*region
	for _, name := range claimRegions {
		st := openStore(t, name)
		out = append(out, &region{name: name, st: st, n: newNode(t, st, name), applied: map[string]int64{}})
	}
	return out
}

// claim writes, in r's own region, an item of kind made at created with
// data w, in pool, holding keys.
func claim(t *testing.T, r *region, kind, id, pool string, created time.Time, w widget, keys ...string) {
	t.Helper()
	data, _ := json.Marshal(w)
	err := r.st.Tx(context.Background(), func(tx storage.Tx) error {
		return tx.CreateItem(context.Background(), &storage.Item{Kind: kind, ID: id, Pool: pool, Data: data, Keys: keys,
			CreatedAt: created, UpdatedAt: created})
	})
	if err != nil {
		t.Fatalf("%s: create %s: %v", r.name, id, err)
	}
}

// pump delivers to r the entries of origin's store that origin made and r
// has not applied yet, in origin's order, as origin's stream would; it
// reports whether it delivered any.
func pump(t *testing.T, r, origin *region) bool {
	t.Helper()
	ctx := context.Background()
	changes, err := origin.st.Changes(ctx, r.applied[origin.name], 1000)
	if err != nil {
		t.Fatal(err)
	}
	any := false
	for _, c := range changes {
		r.applied[origin.name] = c.Seq
		if c.Region != origin.name {
			continue
		}
		any = true
		if _, err := r.n.Apply(ctx, c); err != nil {
			t.Fatalf("%s applies %s's %s %s: %v", r.name, origin.name, c.Entity, c.Key, err)
		}
	}
	return any
}

// heal delivers every region's changes to every other, in an order rng
// picks, until none is left: yields written as new local changes travel
// too.
func heal(t *testing.T, rng *rand.Rand, rs []*region) {
	t.Helper()
	for range 50 {
		moved := false
		for _, i := range rng.Perm(len(rs)) {
			for _, j := range rng.Perm(len(rs)) {
				if i != j && pump(t, rs[i], rs[j]) {
					moved = true
				}
			}
		}
		if !moved {
			return
		}
	}
	t.Fatal("the regions still exchange changes after 50 rounds")
}

// itemsDigest hashes every item of kind in pool: ID, pool, data, keys,
// index entries and times.
func itemsDigest(t *testing.T, st *sqlite.DB, kind string, pools ...string) string {
	t.Helper()
	h := sha256.New()
	for _, pool := range pools {
		items, err := st.ListItems(context.Background(), storage.ListItemsInput{Kind: kind, Pool: pool, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			fmt.Fprintf(h, "%s %s %s %q %q %d %d\n", it.ID, it.Pool, it.Data, it.Keys, it.Index, it.CreatedAt.UnixNano(), it.UpdatedAt.UnixNano())
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func item(t *testing.T, st storage.ItemReader, kind, id string) *storage.Item {
	t.Helper()
	it, err := st.GetItem(context.Background(), kind, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func (w *widget) decode(t *testing.T, it *storage.Item) *widget {
	t.Helper()
	if err := json.Unmarshal(it.Data, w); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestClaimConverges makes the same unique key in two or three cut-off
// regions, then lets them exchange their changes in many orders, and
// checks that the record made first keeps the key in every region, that
// each other one yields it and keeps its own ID and data, and that the
// three stores end identical.
func TestClaimConverges(t *testing.T) {
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		// made[i] is when region i makes its claim (zero: it makes none).
		made []time.Duration
		// winner is the index of the region whose record keeps the key.
		winner int
		// deleteWinner has the other regions receive the winner, then
		// deletes it in its region before that region hears of the
		// others: the losers have yielded, and stay so everywhere.
		deleteWinner bool
	}{
		{"us-east-1 first, eu-west-1 second", []time.Duration{1, 2, 0}, 0, false},
		{"eu-west-1 first, us-east-1 second", []time.Duration{2, 1, 0}, 1, false},
		{"three regions, the last one first", []time.Duration{3, 2, 1}, 2, false},
		{"three regions, the middle one first", []time.Duration{2, 1, 3}, 1, false},
		{"made in the same millisecond: the smaller ID", []time.Duration{5, 5, 5}, 0, false},
		{"the first deleted before the regions meet", []time.Duration{1, 2, 3}, 0, true},
	}
	for _, tc := range tests {
		for seed := range uint64(8) {
			t.Run(fmt.Sprintf("%s/order %d", tc.name, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 7))
				rs := newRegions(t)
				var ids []string
				for i, d := range tc.made {
					if d == 0 {
						continue
					}
					id := fmt.Sprintf("w-%d", i)
					ids = append(ids, id)
					claim(t, rs[i], kindWidget, id, testPool, base.Add(d*time.Second), widget{Name: rs[i].name}, "name/alice", "other/"+id)
				}
				// One region, at random, updates its record before it
				// hears of the others: the later state yields too.
				if i := rng.IntN(len(tc.made)); tc.made[i] != 0 {
					localChange(t, rs[i].st, fmt.Sprintf("w-%d", i), widget{Name: rs[i].name + " updated"})
				}
				want := fmt.Sprintf("w-%d", tc.winner)
				if tc.deleteWinner {
					w := rs[tc.winner]
					for _, r := range rs {
						if r != w {
							pump(t, r, w)
						}
					}
					err := w.st.Tx(context.Background(), func(tx storage.Tx) error {
						it, err := tx.GetItem(context.Background(), kindWidget, want)
						if err != nil {
							return err
						}
						return tx.DeleteItem(context.Background(), kindWidget, want, it.Version)
					})
					if err != nil {
						t.Fatal(err)
					}
				}
				heal(t, rng, rs)
				for _, r := range rs {
					holder, err := r.st.GetItemByKey(context.Background(), kindWidget, "name/alice")
					if tc.deleteWinner {
						if !errors.Is(err, storage.ErrNotFound) {
							t.Fatalf("%s: name/alice held by %v (%v), want no one", r.name, holder, err)
						}
					} else if err != nil || holder.ID != want {
						t.Fatalf("%s: name/alice held by %v (%v), want %s", r.name, holder, err, want)
					}
					for _, id := range ids {
						if tc.deleteWinner && id == want {
							continue
						}
						it := item(t, r.st, kindWidget, id)
						if it == nil {
							t.Fatalf("%s: %s is gone", r.name, id)
						}
						w := new(widget).decode(t, it)
						if !slices.Contains(it.Keys, "other/"+id) {
							t.Errorf("%s: %s lost its own key: %q", r.name, id, it.Keys)
						}
						if id != want && !slices.Equal(w.Lost, []string{"name/alice"}) {
							t.Errorf("%s: loser %s: lost %q, want [name/alice]", r.name, id, w.Lost)
						}
						if id == want && len(w.Lost) != 0 {
							t.Errorf("%s: winner %s lost %q", r.name, id, w.Lost)
						}
					}
				}
				d0 := itemsDigest(t, rs[0].st, kindWidget, testPool)
				for _, r := range rs[1:] {
					if d := itemsDigest(t, r.st, kindWidget, testPool); d != d0 {
						t.Fatalf("%s's digest %s, us-east-1's %s", r.name, d, d0)
					}
				}
				var conflicts int64
				for _, r := range rs {
					conflicts += r.n.Stats().Conflicts
				}
				if conflicts == 0 {
					t.Error("no region counted the conflict")
				}
			})
		}
	}
}

// TestClaimWithoutYield checks a kind without a YieldFunc: the record made
// later is deleted in every region, and the regions end identical.
func TestClaimWithoutYield(t *testing.T) {
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for seed := range uint64(8) {
		t.Run(fmt.Sprintf("order %d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 9))
			rs := newRegions(t)
			claim(t, rs[1], kindNote, "n-1", testPool, base.Add(2*time.Second), widget{Name: "later"}, "name/bob")
			claim(t, rs[2], kindNote, "n-2", testPool, base.Add(time.Second), widget{Name: "first"}, "name/bob")
			heal(t, rng, rs)
			d0 := itemsDigest(t, rs[0].st, kindNote, testPool)
			for _, r := range rs {
				if it := item(t, r.st, kindNote, "n-1"); it != nil {
					t.Errorf("%s: the later record is still there", r.name)
				}
				if it := item(t, r.st, kindNote, "n-2"); it == nil {
					t.Errorf("%s: the first record is gone", r.name)
				}
				if d := itemsDigest(t, r.st, kindNote, testPool); d != d0 {
					t.Errorf("%s's digest differs", r.name)
				}
			}
		})
	}
}

// TestClaimSameIDOtherPool checks two pools that made an item under one
// ID (a domain prefix) in two cut-off regions: the one made first keeps
// it in every region, whichever state is later.
func TestClaimSameIDOtherPool(t *testing.T) {
	const otherPool = "eu-west-1_zyxwvutsr"
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for seed := range uint64(8) {
		t.Run(fmt.Sprintf("order %d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 11))
			rs := newRegions(t)
			// The first is made first, but written last: its HLC is
			// the later one.
			claim(t, rs[0], kindNote, "login", otherPool, base.Add(2*time.Second), widget{Name: "later"}, otherPool+"/domain")
			claim(t, rs[1], kindNote, "login", testPool, base.Add(time.Second), widget{Name: "first"}, testPool+"/domain")
			heal(t, rng, rs)
			d0 := itemsDigest(t, rs[0].st, kindNote, testPool, otherPool)
			for _, r := range rs {
				it := item(t, r.st, kindNote, "login")
				if it == nil || it.Pool != testPool {
					t.Fatalf("%s: login is %v, want the pool %s's", r.name, it, testPool)
				}
				if d := itemsDigest(t, r.st, kindNote, testPool, otherPool); d != d0 {
					t.Errorf("%s's digest differs", r.name)
				}
			}
		})
	}
}

// TestClaimAfterMerge checks an entry whose merge with the local state
// writes a new local change, and which takes a key from a local item made
// later: the merged state stays a local change (it must replicate), and
// the holder yields the key.
func TestClaimAfterMerge(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	rs := newRegions(t)
	r := rs[1]
	claim(t, r, kindWidget, "w1", testPool, base.Add(time.Second), widget{Name: "local", Secret: "changed", SecretAt: 50})
	claim(t, r, kindWidget, "w0", testPool, base.Add(2*time.Second), widget{Name: "later"}, "name/alice")
	c := itemMadeAt(t, base.Add(time.Second), "us-east-1", storage.HLCAt(time.Now().Add(time.Hour)), kindWidget, "w1",
		widget{Name: "remote", Secret: "old", SecretAt: 10}, "name/alice")
	out, err := r.n.Apply(ctx, c)
	if err != nil || out != outcomeMerged {
		t.Fatalf("outcome %d, %v; want merged", out, err)
	}
	holder, err := r.st.GetItemByKey(ctx, kindWidget, "name/alice")
	if err != nil || holder.ID != "w1" {
		t.Fatalf("name/alice held by %v (%v), want w1", holder, err)
	}
	if w := new(widget).decode(t, item(t, r.st, kindWidget, "w1")); w.Name != "remote" || w.Secret != "changed" {
		t.Errorf("w1 is %+v, want remote with the local secret", w)
	}
	if w := new(widget).decode(t, item(t, r.st, kindWidget, "w0")); !slices.Equal(w.Lost, []string{"name/alice"}) {
		t.Errorf("w0 is %+v, want it to have yielded name/alice", w)
	}
	err = r.st.Tx(ctx, func(tx storage.Tx) error {
		for _, id := range []string{"w0", "w1"} {
			last, err := tx.(storage.ReplicaTx).LastChange(ctx, storage.Entity(kindWidget), id)
			if err != nil {
				return err
			}
			if last.Region != r.name || last.HLC <= c.HLC {
				t.Errorf("%s's last entry is %s %d, want a local change after %d", id, last.Region, last.HLC, c.HLC)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
