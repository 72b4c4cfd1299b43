package storagetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/storage"
)

// RunConcurrency runs the Store contract under racing goroutines. open is as
// for Run.
func RunConcurrency(t *testing.T, open func(t *testing.T) storage.Store) {
	for _, n := range []int{2, 8} {
		t.Run(fmt.Sprintf("RacingUpdates/%d", n), func(t *testing.T) { testRacingUpdates(t, open(t), n) })
	}
	for _, n := range []int{2, 8} {
		t.Run(fmt.Sprintf("RacingDeletes/%d", n), func(t *testing.T) { testRacingDeletes(t, open(t), n) })
	}
	t.Run("ConcurrentCreates", func(t *testing.T) { testConcurrentCreates(t, open(t)) })
	t.Run("ConcurrentCreateSameID", func(t *testing.T) { testConcurrentCreateSameID(t, open(t)) })
	t.Run("CursorSeesEveryChange", func(t *testing.T) { testCursorSeesEveryChange(t, open(t)) })
	for _, byKey := range []bool{false, true} {
		name := "ItemCounter/GetItem"
		if byKey {
			name = "ItemCounter/GetItemByKey"
		}
		t.Run(name, func(t *testing.T) { testItemCounter(t, open(t), 8, byKey) })
	}
	t.Run("ItemSameKey", func(t *testing.T) { testItemSameKey(t, open(t), 8) })
	t.Run("ItemCursorSeesEveryChange", func(t *testing.T) { testItemCursorSeesEveryChange(t, open(t)) })
	t.Run("RacingSettings", func(t *testing.T) { testRacingSettings(t, open(t), 8) })
	t.Run("MarkerRacingCreates", func(t *testing.T) { testMarkerRacingCreates(t, open(t), 8) })
}

// hangDeadline bounds each concurrency test. The tests take well under a
// second; a write that waits for something that never comes (a deadlock,
// or a transaction that holds a pool connection and waits for a second
// one, as a change-log write outside the transaction does) would
// otherwise hang until go test's own timeout, minutes later, with no
// message but a stack dump.
const hangDeadline = 30 * time.Second

// deadlineContext returns a context that ends hangDeadline from now,
// which every store call of a concurrency test uses.
func deadlineContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), hangDeadline)
	t.Cleanup(cancel)
	return ctx
}

// race runs fn(i) for i in [0, n) on n goroutines released together, and
// returns the errors by i. It fails t when ctx (from deadlineContext)
// ended before every goroutine returned: a write hung.
func race(t *testing.T, ctx context.Context, n int, fn func(i int) error) []error {
	t.Helper()
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	finished := make(chan struct{})
	go func() {
		wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-time.After(time.Until(deadlineOf(ctx)) + 5*time.Second):
		t.Fatalf("%d concurrent writers still running %v after the deadline: a write ignores its context", n, 5*time.Second)
	}
	failHung(t, ctx, fmt.Sprintf("%d concurrent writers", n))
	return errs
}

// deadlineOf is ctx's deadline.
func deadlineOf(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// failHung fails t when ctx, from deadlineContext, has ended: what ran
// under it did not finish within hangDeadline.
func failHung(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish within %v: a write waited for something that never came "+
			"(a deadlock, or a transaction waiting for a second connection while it holds one)", what, hangDeadline)
	}
}

// countOutcomes counts nil errors and errors matching want, and fails on any
// other error.
func countOutcomes(t *testing.T, errs []error, want error) (ok, matched int) {
	t.Helper()
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, want):
			matched++
		default:
			t.Errorf("goroutine %d: unexpected error %v (want nil or %v)", i, err, want)
		}
	}
	return ok, matched
}

// testRacingUpdates has n writers read version 1 and update at once: exactly
// one wins, the rest get ErrConflict, and only the winner's change is logged.
func testRacingUpdates(t *testing.T, s storage.Store, n int) {
	ctx := deadlineContext(t)
	orig := newPool("us-east-1_race", Region, "orig")
	mustCreate(t, s, orig)
	read := mustGet(t, s, orig.ID)

	mine := make([]*storage.UserPool, n)
	for i := range mine {
		p := *read
		p.Name = fmt.Sprintf("writer %d", i)
		mine[i] = &p
	}
	errs := race(t, ctx, n, func(i int) error { return s.UpdateUserPool(ctx, mine[i]) })
	ok, conflicts := countOutcomes(t, errs, storage.ErrConflict)
	if ok != 1 || conflicts != n-1 {
		t.Fatalf("%d succeeded and %d got ErrConflict, want 1 and %d", ok, conflicts, n-1)
	}

	var winner *storage.UserPool
	for i, err := range errs {
		if err == nil {
			winner = mine[i]
		}
	}
	got := mustGet(t, s, orig.ID)
	if got.Version != 2 {
		t.Errorf("final version = %d, want 2", got.Version)
	}
	if diff := cmp.Diff(winner, got, cmpOpts); diff != "" {
		t.Errorf("stored pool is not the winner's (-winner +stored):\n%s", diff)
	}
	changes := allChanges(t, s)
	if len(changes) != 2 {
		t.Fatalf("change log has %d entries, want 2 (create, one update)", len(changes))
	}
	state, err := storage.DecodeUserPool(changes[1].State)
	if err != nil {
		t.Fatalf("DecodeUserPool: %v", err)
	}
	if changes[1].Kind != storage.ChangeUpdate || state.Name != winner.Name {
		t.Errorf("second change is %s of %q, want update of %q", changes[1].Kind, state.Name, winner.Name)
	}
}

// testRacingDeletes has n writers delete version 1 at once: exactly one wins
// and the rest get ErrNotFound or ErrConflict.
func testRacingDeletes(t *testing.T, s storage.Store, n int) {
	ctx := deadlineContext(t)
	p := newPool("us-east-1_racedel", Region, "doomed")
	mustCreate(t, s, p)
	errs := race(t, ctx, n, func(int) error { return s.DeleteUserPool(ctx, p.ID, 1) })
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrConflict):
		default:
			t.Errorf("goroutine %d: unexpected error %v", i, err)
		}
	}
	if ok != 1 {
		t.Errorf("%d deletes succeeded, want 1", ok)
	}
	// The delete erased the create: one tombstone remains.
	if changes := allChanges(t, s); len(changes) != 1 || changes[0].Kind != storage.ChangeDelete {
		t.Errorf("change log has %d entries, want 1 (the delete)", len(changes))
	}
}

// testConcurrentCreates creates distinct pools from several goroutines: all
// succeed, each with exactly one change-log entry, with unique increasing
// Seqs and HLCs.
func testConcurrentCreates(t *testing.T, s storage.Store) {
	const writers, each = 8, 4
	ctx := deadlineContext(t)
	errs := race(t, ctx, writers, func(w int) error {
		for j := range each {
			if err := s.CreateUserPool(ctx, newPool(fmt.Sprintf("us-east-1_w%dp%d", w, j), Region, "p")); err != nil {
				return err
			}
		}
		return nil
	})
	if ok, _ := countOutcomes(t, errs, nil); ok != writers {
		t.Fatalf("%d of %d writers succeeded", ok, writers)
	}
	changes := allChanges(t, s)
	if len(changes) != writers*each {
		t.Fatalf("change log has %d entries, want %d", len(changes), writers*each)
	}
	keys := map[string]int{}
	for i, c := range changes {
		keys[c.Key]++
		if c.Kind != storage.ChangeCreate {
			t.Errorf("change %d kind = %s, want create", i, c.Kind)
		}
		if i > 0 && (c.Seq <= changes[i-1].Seq || c.HLC <= changes[i-1].HLC) {
			t.Errorf("change %d (seq %d, hlc %d) does not follow (seq %d, hlc %d)",
				i, c.Seq, c.HLC, changes[i-1].Seq, changes[i-1].HLC)
		}
	}
	for w := range writers {
		for j := range each {
			if id := fmt.Sprintf("us-east-1_w%dp%d", w, j); keys[id] != 1 {
				t.Errorf("pool %s has %d change-log entries, want 1", id, keys[id])
			}
		}
	}
}

// testConcurrentCreateSameID creates one ID from several goroutines: exactly
// one succeeds, the rest get ErrAlreadyExists, and one change is logged.
func testConcurrentCreateSameID(t *testing.T, s storage.Store) {
	const n = 8
	ctx := deadlineContext(t)
	errs := race(t, ctx, n, func(i int) error {
		return s.CreateUserPool(ctx, newPool("us-east-1_same", Region, fmt.Sprintf("creator %d", i)))
	})
	ok, dup := countOutcomes(t, errs, storage.ErrAlreadyExists)
	if ok != 1 || dup != n-1 {
		t.Fatalf("%d succeeded and %d got ErrAlreadyExists, want 1 and %d", ok, dup, n-1)
	}
	if changes := allChanges(t, s); len(changes) != 1 {
		t.Errorf("change log has %d entries, want 1", len(changes))
	}
}

// testCursorSeesEveryChange follows the change log with a cursor while
// writers commit concurrently. A backend whose Seqs can commit out of order
// lets the follower move past a Seq that commits later and miss it.
func testCursorSeesEveryChange(t *testing.T, s storage.Store) {
	const writers, each = 4, 10
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
			page, err := s.Changes(ctx, cursor, 7)
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
			p := newPool(fmt.Sprintf("us-east-1_c%dp%d", w, j), Region, "p")
			if err := s.CreateUserPool(ctx, p); err != nil {
				return err
			}
			p.Name = "updated"
			p.Version = 1
			if err := s.UpdateUserPool(ctx, p); err != nil {
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
	if len(all) != 2*writers*each {
		t.Errorf("change log has %d entries, want %d", len(all), 2*writers*each)
	}
	if diff := cmp.Diff(all, seen); diff != "" {
		t.Errorf("the cursor follower missed or repeated entries (-log +seen):\n%s", diff)
	}
}
