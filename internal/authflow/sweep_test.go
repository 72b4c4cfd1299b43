package authflow

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// holdSweeps keeps the requests of a test from sweeping, as if a sweep of
// every kind were running, so that the test's own sweepExpired calls do
// the work it checks.
func (e *flowEnv) holdSweeps() {
	for _, w := range e.s.sweepers {
		w.mu.Lock()
		w.running = true
		w.mu.Unlock()
	}
}

// usedMarker starts a USER_AUTH flow and uses its state up, which stores
// a marker, and returns the marker's ID.
func (e *flowEnv) usedMarker(t *testing.T) string {
	t.Helper()
	out, err := e.s.InitiateAuth(context.Background(), cognito.Caller{}, &idp.InitiateAuthRequest{
		ClientId: cognito.Ptr(e.client), AuthFlow: cognito.Ptr(idp.AuthFlowTypeUserAuth),
		AuthParameters: map[string]string{"USERNAME": flowUser},
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.s.readFlow(cognito.Deref(out.Session), purposeSession, e.pool, e.client)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.useFlowNow(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	return usedMarkerID(e.pool, st.ID)
}

// markers returns those of ids that name a stored use marker, sorted.
func (e *flowEnv) markers(t *testing.T, ids ...string) []string {
	t.Helper()
	out := []string{}
	for _, id := range ids {
		_, err := e.store.GetMarker(context.Background(), id)
		switch {
		case err == nil:
			out = append(out, id)
		case !errors.Is(err, storage.ErrNotFound):
			t.Fatal(err)
		}
	}
	slices.Sort(out)
	return out
}

// signedIn is what a password sign-in stored: its token family and
// refresh token, by item ID.
type signedIn struct{ family, refresh, origin string }

func (e *flowEnv) signIn(t *testing.T) signedIn {
	t.Helper()
	out, err := e.passwordAuth(flowPassword)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := e.s.tokens.VerifyAccessToken(context.Background(), cognito.Deref(out.AuthenticationResult.AccessToken))
	if err != nil {
		t.Fatal(err)
	}
	return signedIn{
		family:  familyID(e.pool, claims.OriginJTI),
		refresh: refreshID(e.pool, refreshHash(cognito.Deref(out.AuthenticationResult.RefreshToken))),
		origin:  claims.OriginJTI,
	}
}

// ids lists the IDs of the pool's items of kind that carry an expiring
// index entry (for auth_session: flow markers, not lockout counters).
func (e *flowEnv) ids(t *testing.T, kind string) []string {
	t.Helper()
	items, err := e.store.ListItems(context.Background(), storage.ListItemsInput{Kind: kind, Pool: e.pool, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, it := range items {
		if slices.ContainsFunc(it.Index, func(k string) bool { return strings.HasPrefix(k, expiringIndex) }) {
			out = append(out, it.ID)
		}
	}
	slices.Sort(out)
	return out
}

func sorted(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

// TestSweepRemovesExpired checks that a sweep removes expired flow
// markers, token families and refresh tokens and keeps the rest.
func TestSweepRemovesExpired(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		ctx := context.Background()
		e.holdSweeps()
		old := e.signIn(t)           // its refresh token lasts 30 days
		oldMarker := e.usedMarker(t) // 3 minutes, and the grace after them
		e.clock.advance(20 * 24 * time.Hour)
		fresh := e.signIn(t)
		e.clock.advance(11 * 24 * time.Hour)
		freshMarker := e.usedMarker(t)
		// The markers are use markers, not items: the items of
		// auth_session with an expiry are the other flow records (none
		// here).
		present := func(kind string) []string {
			if kind == sweepUseMarkers {
				return e.markers(t, oldMarker, freshMarker)
			}
			return e.ids(t, kind)
		}
		want := map[string][]string{
			kindAuthSession:  {},
			sweepUseMarkers:  sorted(oldMarker, freshMarker),
			kindTokenFamily:  sorted(old.family, fresh.family),
			kindRefreshToken: sorted(old.refresh, fresh.refresh),
		}
		for _, kind := range sweptKinds {
			if diff := cmp.Diff(want[kind], present(kind)); diff != "" {
				t.Fatalf("%s before the sweep (-want +got):\n%s", kind, diff)
			}
		}
		want = map[string][]string{
			kindAuthSession:  {},
			sweepUseMarkers:  {freshMarker},
			kindTokenFamily:  {fresh.family},
			kindRefreshToken: {fresh.refresh},
		}
		for _, kind := range sweptKinds {
			full, err := e.s.sweepExpired(ctx, kind)
			if err != nil || full {
				t.Fatalf("sweep %s = %v, %v; want a partial batch", kind, full, err)
			}
			if diff := cmp.Diff(want[kind], present(kind)); diff != "" {
				t.Errorf("%s after the sweep (-want +got):\n%s", kind, diff)
			}
		}
	})
}

// TestSweepRechecks extends a token family's life between the sweep's scan
// and its transaction, as a refresh under rotation does: the sweep reads
// each item again and keeps the one no longer expired, and removes the
// other expired one in the same transaction.
func TestSweepRechecks(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		ctx := context.Background()
		e.holdSweeps()
		extended, other := e.signIn(t), e.signIn(t)
		e.clock.advance(31 * 24 * time.Hour)
		c := e.count()
		c.afterScan = func(in storage.ScanInput) {
			err := e.store.Tx(ctx, func(tx storage.Tx) error {
				it, err := tx.GetItem(ctx, kindTokenFamily, extended.family)
				if err != nil {
					return err
				}
				fam, err := decodeFamily(it)
				if err != nil {
					return err
				}
				fam.ExpiresAt = e.s.now().Add(24 * time.Hour)
				upd, err := familyItem(e.pool, extended.origin, fam, it.Version)
				if err != nil {
					return err
				}
				return tx.UpdateItem(ctx, upd)
			})
			if err != nil {
				t.Errorf("extend family: %v", err)
			}
		}
		if _, err := e.s.sweepExpired(ctx, kindTokenFamily); err != nil {
			t.Fatal(err)
		}
		want := storeCounts{Txs: 1, Scans: 1, Writes: map[string]int{"delete token_family": 1}}
		if diff := cmp.Diff(want, c.take()); diff != "" {
			t.Errorf("sweep (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{extended.family}, e.ids(t, kindTokenFamily)); diff != "" {
			t.Errorf("families after the sweep (-want +got), %s removed:\n%s", other.family, diff)
		}
	})
}

// TestSweepBatch checks that a sweep removes at most sweepBatch use
// markers, in one store call, reports a full batch, and that the next one
// goes on.
func TestSweepBatch(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		ctx := context.Background()
		e.holdSweeps()
		var ids []string
		for range sweepBatch + 3 {
			ids = append(ids, e.usedMarker(t))
		}
		e.clock.advance(time.Hour)
		c := e.count()
		for i, want := range []struct {
			full bool
			left int
		}{{true, 3}, {false, 0}, {false, 0}} {
			full, err := e.s.sweepExpired(ctx, sweepUseMarkers)
			if err != nil || full != want.full {
				t.Fatalf("sweep %d = %v, %v; want %v", i, full, err, want.full)
			}
			if diff := cmp.Diff(storeCounts{Sweeps: 1, Writes: map[string]int{}}, c.take()); diff != "" {
				t.Errorf("sweep %d (-want +got):\n%s", i, diff)
			}
			if left := e.markers(t, ids...); len(left) != want.left {
				t.Errorf("sweep %d left %d markers, want %d", i, len(left), want.left)
			}
		}
	})
}

// TestSweepPacing checks when requests sweep: once a second per kind,
// again at once after a full batch, whenever the clock went back, and
// never while a sweep of the same kind runs.
func TestSweepPacing(t *testing.T) {
	flowBackends(t, func(t *testing.T, e *flowEnv) {
		ctx := context.Background()
		c := e.count()
		scans := func() int {
			t.Helper()
			n := c.take()
			return n.Scans
		}
		sweep := func(kind string) int {
			t.Helper()
			c.take()
			e.s.maybeSweep(ctx, kind)
			return scans()
		}
		for i, step := range []struct {
			advance time.Duration
			want    int
		}{
			{0, 1}, {0, 0}, {sweepInterval - time.Millisecond, 0}, {time.Millisecond, 1}, {-time.Hour, 1}, {0, 0},
		} {
			e.clock.advance(step.advance)
			if got := sweep(kindAuthSession); got != step.want {
				t.Errorf("step %d: %d scans, want %d", i, got, step.want)
			}
		}

		// A backlog: the next request sweeps again until a batch is not
		// full (use markers: one SweepMarkers call a sweep).
		var ids []string
		for range sweepBatch + 1 {
			ids = append(ids, e.usedMarker(t))
		}
		e.clock.advance(time.Hour)
		for i, want := range []int{1, 1, 0} {
			c.take()
			e.s.maybeSweep(ctx, sweepUseMarkers)
			if got := c.take().Sweeps; got != want {
				t.Errorf("backlog step %d: %d sweeps, want %d", i, got, want)
			}
		}
		if left := e.markers(t, ids...); len(left) != 0 {
			t.Errorf("markers left: %v", left)
		}

		// While a sweep of a kind runs, no other starts; other kinds go on.
		entered, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		c.afterScan = func(in storage.ScanInput) {
			if in.Kind == kindTokenFamily {
				once.Do(func() {
					close(entered)
					<-release
				})
			}
		}
		e.clock.advance(time.Hour)
		done := make(chan struct{})
		go func() {
			defer close(done)
			e.s.maybeSweep(ctx, kindTokenFamily)
		}()
		<-entered
		c.take()
		e.clock.advance(time.Hour)
		e.s.maybeSweep(ctx, kindTokenFamily)
		e.s.maybeSweep(ctx, kindRefreshToken)
		got := c.take()
		close(release)
		<-done
		if got.Scans != 1 {
			t.Errorf("%d scans while a sweep of token families ran, want the refresh tokens' only", got.Scans)
		}
		if got := sweep(kindTokenFamily); got != 1 {
			t.Errorf("%d scans once the running sweep ended, an hour later, want 1", got)
		}
	})
}
