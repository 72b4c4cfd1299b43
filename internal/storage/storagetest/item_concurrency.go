package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/storage"
)

// maxRetries bounds the retries of a transaction that lost a race.
const maxRetries = 100

// retryTx runs fn in s.Tx, again while it fails with ErrConflict.
func retryTx(ctx context.Context, s storage.Store, fn func(tx storage.Tx) error) error {
	var err error
	for range maxRetries {
		if err = s.Tx(ctx, fn); !errors.Is(err, storage.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("still losing after %d tries: %w", maxRetries, err)
}

// counterData is the Data of testItemCounter's item.
type counterData struct {
	Counter int `json:"counter"`
}

// testItemCounter has n goroutines each read the same item in a Tx (by ID,
// or by key when byKey is set), increment a counter in its Data and update
// it. The read locks the item, so no increment is lost: with retries on
// ErrConflict every one lands.
func testItemCounter(t *testing.T, s storage.Store, n int, byKey bool) {
	ctx := deadlineContext(t)
	it := newItem(kindUser, "counter", poolA, []string{"key/counter"}, []string{"idx/counter"})
	it.Data = []byte(`{"counter":0}`)
	mustCreateItem(t, s, it)

	errs := race(t, ctx, n, func(int) error {
		return retryTx(ctx, s, func(tx storage.Tx) error {
			var (
				cur *storage.Item
				err error
			)
			if byKey {
				cur, err = tx.GetItemByKey(ctx, kindUser, "key/counter")
			} else {
				cur, err = tx.GetItem(ctx, kindUser, "counter")
			}
			if err != nil {
				return err
			}
			var d counterData
			if err := json.Unmarshal(cur.Data, &d); err != nil {
				return err
			}
			d.Counter++
			if cur.Data, err = json.Marshal(d); err != nil {
				return err
			}
			cur.UpdatedAt = time.Now()
			return tx.UpdateItem(ctx, cur)
		})
	})
	countOutcomes(t, errs, nil)

	got := mustGetItem(t, s, kindUser, "counter")
	var d counterData
	if err := json.Unmarshal(got.Data, &d); err != nil {
		t.Fatal(err)
	}
	if d.Counter != n || got.Version != int64(n+1) {
		t.Errorf("counter = %d at version %d, want %d at version %d", d.Counter, got.Version, n, n+1)
	}
	changes := allChanges(t, s)
	if len(changes) != n+1 {
		t.Fatalf("change log has %d entries, want %d", len(changes), n+1)
	}
	for i, c := range changes[1:] {
		st, err := storage.DecodeItem(c.State)
		if err != nil {
			t.Fatalf("DecodeItem: %v", err)
		}
		if want := fmt.Sprintf(`{"counter":%d}`, i+1); string(st.Data) != want || st.Version != int64(i+2) {
			t.Errorf("update %d logged %s at version %d, want %s at version %d", i, st.Data, st.Version, want, i+2)
		}
	}
}

// testItemSameKey creates n items with distinct IDs and one unique key at
// once: exactly one succeeds, the others get a *KeyConflictError naming the
// key, and only the winner is stored and logged.
func testItemSameKey(t *testing.T, s storage.Store, n int) {
	ctx := deadlineContext(t)
	const key = "key/same"
	errs := race(t, ctx, n, func(i int) error {
		return s.Tx(ctx, func(tx storage.Tx) error {
			it := newItem(kindUser, fmt.Sprintf("u%d", i), poolA,
				[]string{fmt.Sprintf("key/own%d", i), key}, []string{"idx/same"})
			return tx.CreateItem(ctx, it)
		})
	})
	ok := 0
	winner := ""
	for i, err := range errs {
		var kc *storage.KeyConflictError
		switch {
		case err == nil:
			ok++
			winner = fmt.Sprintf("u%d", i)
		case errors.As(err, &kc):
			if kc.Key != key || kc.Kind != kindUser {
				t.Errorf("goroutine %d: conflict on %s %q, want %s %q", i, kc.Kind, kc.Key, kindUser, key)
			}
		default:
			t.Errorf("goroutine %d: unexpected error %v (want nil or *KeyConflictError)", i, err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d creates succeeded, want 1", ok)
	}
	got, err := s.GetItemByKey(ctx, kindUser, key)
	if err != nil || got.ID != winner {
		t.Fatalf("GetItemByKey = %v, %v; want the winner %s", got, err, winner)
	}
	items := listAll(t, s, kindUser, poolA)
	entries := scanAll(t, s, storage.ScanInput{Kind: kindUser, Limit: 100})
	if len(items) != 1 || len(entries) != 1 {
		t.Errorf("store holds %d items and %d index entries, want 1 and 1", len(items), len(entries))
	}
	for i := range n {
		id := fmt.Sprintf("u%d", i)
		_, err := s.GetItemByKey(ctx, kindUser, fmt.Sprintf("key/own%d", i))
		if id == winner && err != nil || id != winner && !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("own key of %s: error = %v", id, err)
		}
	}
	if changes := allChanges(t, s); len(changes) != 1 || changes[0].Key != winner {
		t.Errorf("change log has %d entries, want the winner's create", len(changes))
	}
}

// testItemCursorSeesEveryChange follows the change log while transactions
// of several writes each commit concurrently, as testCursorSeesEveryChange
// does for single writes.
func testItemCursorSeesEveryChange(t *testing.T, s storage.Store) {
	const writers, each = 4, 8
	ctx := deadlineContext(t)
	done := make(chan struct{})
	var seen []int64
	var followErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		var cursor int64
		for finished := false; ; {
			select {
			case <-done:
				finished = true
			default:
			}
			page, err := s.Changes(ctx, cursor, 5)
			if err != nil {
				followErr = err
				return
			}
			for _, c := range page {
				seen = append(seen, c.Seq)
			}
			switch {
			case len(page) > 0:
				cursor = page[len(page)-1].Seq
			case finished:
				return
			default:
				time.Sleep(time.Millisecond)
			}
		}
	})
	errs := race(t, ctx, writers, func(w int) error {
		for j := range each {
			err := retryTx(ctx, s, func(tx storage.Tx) error {
				it := newItem(kindUser, fmt.Sprintf("w%dj%d", w, j), poolA, []string{fmt.Sprintf("key/w%dj%d", w, j)}, nil)
				if err := tx.CreateItem(ctx, it); err != nil {
					return err
				}
				it.Index = []string{"idx/updated"}
				if err := tx.UpdateItem(ctx, it); err != nil {
					return err
				}
				return tx.CreateItem(ctx, newItem(kindClient, it.ID, poolA, nil, nil))
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	close(done)
	wg.Wait()
	failHung(t, ctx, "the change-log follower")
	countOutcomes(t, errs, nil)
	if followErr != nil {
		t.Fatalf("Changes: %v", followErr)
	}
	var all []int64
	for _, c := range allChanges(t, s) {
		all = append(all, c.Seq)
	}
	if len(all) != 3*writers*each {
		t.Errorf("change log has %d entries, want %d", len(all), 3*writers*each)
	}
	if diff := cmp.Diff(all, seen); diff != "" {
		t.Errorf("the cursor follower missed or repeated entries (-log +seen):\n%s", diff)
	}
}
