package cluster

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/seal"
	"github.com/cognate-dev/cognate/internal/storage"
)

// fakeResealer re-seals items whose data is "old:<x>" into "new:<x>".
var fakeResealer = ItemResealer{Kind: "thing", Reseal: func(it *storage.Item) ([]byte, bool, error) {
	if rest, ok := bytes.CutPrefix(it.Data, []byte(`"old:`)); ok {
		return append([]byte(`"new:`), rest...), true, nil
	}
	if bytes.HasPrefix(it.Data, []byte(`"bad`)) {
		return nil, false, fmt.Errorf("opens with no key")
	}
	return nil, false, nil
}}

func TestResealing(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, backend)
			// Three pools of 150 items each: more than a page of pools' items.
			const perPool = 150
			for p := range 3 {
				pool := fmt.Sprintf("us-east-1_pool%d", p)
				if err := st.CreateUserPool(ctx, &storage.UserPool{ID: pool, Region: "us-east-1", Name: "p", Config: []byte(`{}`), CreatedAt: now, UpdatedAt: now}); err != nil {
					t.Fatal(err)
				}
				err := st.Tx(ctx, func(tx storage.Tx) error {
					for i := range perPool {
						data := fmt.Sprintf(`"old:%d"`, i)
						if i%3 == 0 {
							data = fmt.Sprintf(`"new:%d"`, i)
						}
						if i == 7 && p == 1 {
							data = `"bad"`
						}
						it := &storage.Item{Kind: "thing", ID: fmt.Sprintf("%s/%03d", pool, i), Pool: pool, Data: []byte(data),
							Keys: []string{fmt.Sprintf("%s/k/%d", pool, i)}, CreatedAt: now, UpdatedAt: now}
						if err := tx.CreateItem(ctx, it); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			// The store rotated from key 1 to key 2.
			if _, err := CheckKeys(ctx, st, seal.Keys{Current: key(1)}, names, now, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := CheckKeys(ctx, st, seal.Keys{Current: key(2), Previous: [][]byte{key(1)}}, names, now, nil); err != nil {
				t.Fatal(err)
			}
			log := slog.New(slog.DiscardHandler)
			rs := []ItemResealer{fakeResealer}

			// A server whose key is not current does nothing.
			if err := Resealing(ctx, st, cv(1), rs, log, time.Millisecond); err != nil {
				t.Fatal(err)
			}
			if it, _ := st.GetItem(ctx, "thing", "us-east-1_pool0/001"); string(it.Data) != `"old:1"` {
				t.Fatalf("a server whose key is not current re-sealed: %s", it.Data)
			}

			// Two servers re-seal at once.
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i := range 2 {
				wg.Go(func() { errs[i] = Resealing(ctx, st, cv(2), rs, log, time.Millisecond) })
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			for p := range 3 {
				for i := range perPool {
					id := fmt.Sprintf("us-east-1_pool%d/%03d", p, i)
					it, err := st.GetItem(ctx, "thing", id)
					if err != nil {
						t.Fatal(err)
					}
					want := fmt.Sprintf(`"new:%d"`, i)
					if i == 7 && p == 1 {
						want = `"bad"`
					}
					if string(it.Data) != want {
						t.Errorf("%s = %s, want %s", id, it.Data, want)
					}
					if want := int64(1); i%3 == 0 && it.Version != want {
						t.Errorf("%s was rewritten though it was sealed with the current key", id)
					}
					if len(it.Keys) != 1 || !it.UpdatedAt.Equal(now) {
						t.Errorf("%s lost its keys or its time: %+v", id, it)
					}
				}
			}
			if cur, prev, err := StoreKeys(ctx, st); err != nil || cur != cv(2) || len(prev) != 0 {
				t.Errorf("after the re-seal the store records %s %v (%v), want key 2 alone", cur, prev, err)
			}
			// Nothing is left: another pass finds nothing to do.
			counts, err := ResealPass(ctx, st, rs, log)
			if err != nil || counts.Resealed != 0 || counts.Changed != 0 || counts.Unreadable != 1 {
				t.Errorf("a pass after the re-seal: %+v, %v", counts, err)
			}
		})
	}
}

// TestResealingAfterForget: values sealed with the old key after the store
// forgot it (by a server still running with it during a rolling restart)
// are re-sealed by the next server that starts with previous keys.
func TestResealingAfterForget(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, "sqlite")
	if err := st.CreateUserPool(ctx, &storage.UserPool{ID: "us-east-1_late", Region: "us-east-1", Name: "p", Config: []byte(`{}`), CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := CheckKeys(ctx, st, seal.Keys{Current: key(1)}, names, now, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := CheckKeys(ctx, st, seal.Keys{Current: key(2), Previous: [][]byte{key(1)}}, names, now, nil); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	rs := []ItemResealer{fakeResealer}
	if err := Resealing(ctx, st, cv(2), rs, log, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	err := st.Tx(ctx, func(tx storage.Tx) error {
		return tx.CreateItem(ctx, &storage.Item{Kind: "thing", ID: "late", Pool: "us-east-1_late", Data: []byte(`"old:late"`), CreatedAt: now, UpdatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := Resealing(ctx, st, cv(2), rs, log, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if it, _ := st.GetItem(ctx, "thing", "late"); string(it.Data) != `"new:late"` {
		t.Errorf("a value sealed with the old key after the forget = %s, want it re-sealed", it.Data)
	}
}
