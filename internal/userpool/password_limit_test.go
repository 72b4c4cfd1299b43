package userpool

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/ratelimit"
)

// TestArgonConcurrencyCap runs many verifications at once (right and wrong
// passwords, and against the dummy hash that hides unknown users) and
// checks, by counting computations in flight through argonTestHook, that
// no more than the cap ever compute together, that the cap is reached, and
// that every verification answers right.
func TestArgonConcurrencyCap(t *testing.T) {
	const limit, n = 3, 30
	saved := argonLimit.Load()
	t.Cleanup(func() {
		argonTestHook = nil
		argonLimit.Store(saved)
	})
	setArgonConcurrency(limit)

	const password = "Correct-Horse-1"
	hash, err := hashPassword(context.Background(), password)
	if err != nil {
		t.Fatal(err)
	}
	dummy := DummyPasswordHash()

	var running, peak atomic.Int64
	waiting := make(chan struct{}, n)
	started := make(chan struct{}, n)
	gate := make(chan struct{})
	argonTestHook = func(e argonEvent) {
		switch e {
		case argonWaiting:
			waiting <- struct{}{}
		case argonStarted:
			r := running.Add(1)
			for p := peak.Load(); r > p && !peak.CompareAndSwap(p, r); p = peak.Load() {
			}
			started <- struct{}{}
			<-gate // hold the slot until the test has looked
		case argonDone:
			running.Add(-1)
		}
	}

	cases := []struct {
		hash, password string
		want           bool
	}{
		{hash, password, true},
		{hash, "Wrong-Horse-1", false},
		{dummy, password, false},
	}
	got := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		c := cases[i%len(cases)]
		wg.Go(func() {
			ok, err := VerifyPassword(context.Background(), c.hash, c.password)
			got[i] = ok && err == nil
		})
	}

	// Every verification has asked for a slot and `limit` of them hold
	// one; the others must be queued.
	for range n {
		<-waiting
	}
	for range limit {
		<-started
	}
	if r := running.Load(); r != limit {
		t.Errorf("%d computations hold a slot while all %d wait for one, want %d", r, n, limit)
	}
	close(gate)
	wg.Wait()
	for range n - limit {
		<-started
	}

	if p := peak.Load(); p != limit {
		t.Errorf("at most %d computations ran at once, want exactly the cap %d", p, limit)
	}
	if r := running.Load(); r != 0 {
		t.Errorf("%d computations still counted as running after all returned", r)
	}
	for i, g := range got {
		if c := cases[i%len(cases)]; g != c.want {
			t.Errorf("verification %d (case %d) = %v, want %v", i, i%len(cases), g, c.want)
		}
	}
}

// TestArgonConcurrencySize checks that the cap is GOMAXPROCS, whether
// SetPasswordHashing sizes it or the first computation does.
func TestArgonConcurrencySize(t *testing.T) {
	savedLimit, savedParams := argonLimit.Load(), passwordHashParams
	t.Cleanup(func() {
		argonLimit.Store(savedLimit)
		passwordHashParams = savedParams
	})
	want := runtime.GOMAXPROCS(0)
	cases := []struct {
		name    string
		initial *ratelimit.FairQueue // the scheduler before
		setUp   func(t *testing.T)
	}{
		{"first use", nil, func(t *testing.T) {
			if _, err := hashPassword(context.Background(), "Correct-Horse-1"); err != nil {
				t.Fatal(err)
			}
		}},
		{"SetPasswordHashing", ratelimit.NewFairQueue(ratelimit.FairQueueConfig{Slots: want + 5}), func(t *testing.T) {
			if err := SetPasswordHashing(PasswordHashing{MemoryKiB: 1024, Iterations: 1, Parallelism: 1}); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			argonLimit.Store(tc.initial)
			tc.setUp(t)
			l := argonLimit.Load()
			if l == nil {
				t.Fatal("no semaphore after the first computation")
			}
			if got := l.Slots(); got != want {
				t.Errorf("cap = %d, want GOMAXPROCS %d", got, want)
			}
		})
	}
}

// TestArgonFairBetweenClients runs one slot: a flooding client address
// holds it and has three more verifications waiting when a quiet address
// asks for one. The quiet address's verification runs next, ahead of the
// flood's, whether its user exists or not (issue 9, defect 4: with the
// FIFO semaphore it waited behind the whole flood). The client address
// comes from the context, as the API edge puts it there.
func TestArgonFairBetweenClients(t *testing.T) {
	saved := argonLimit.Load()
	t.Cleanup(func() {
		argonTestHook = nil
		argonLimit.Store(saved)
	})
	setArgonConcurrency(1)
	hash, err := hashPassword(context.Background(), "Correct-Horse-1")
	if err != nil {
		t.Fatal(err)
	}
	dummy := DummyPasswordHash()

	gate := make(chan struct{})
	started := make(chan struct{}, 5)
	argonTestHook = func(e argonEvent) {
		if e == argonStarted {
			started <- struct{}{}
			<-gate
		}
	}
	flood := ratelimit.WithClientAddr(context.Background(), netip.MustParseAddr("203.0.113.66"))
	quiet := ratelimit.WithClientAddr(context.Background(), netip.MustParseAddr("198.51.100.7"))
	var (
		mu    sync.Mutex
		order []string
	)
	verify := func(name string, ctx context.Context, phc string) {
		ok, err := VerifyPassword(ctx, phc, "Wrong-Horse-1")
		mu.Lock()
		defer mu.Unlock()
		if ok || err != nil {
			t.Errorf("%s: %v, %v; want a wrong password", name, ok, err)
		}
		order = append(order, name)
	}
	waitFor := func(waiting int) {
		deadline := time.Now().Add(10 * time.Second)
		for argonLimit.Load().Waiting() != waiting {
			if time.Now().After(deadline) {
				t.Fatalf("%d computations waiting, want %d", argonLimit.Load().Waiting(), waiting)
			}
			time.Sleep(time.Millisecond)
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { verify("flood 1", flood, hash) })
	<-started // flood 1 holds the slot, at the gate
	for i, phc := range []string{hash, dummy, hash} {
		wg.Go(func() { verify(fmt.Sprintf("flood %d", i+2), flood, phc) })
		waitFor(i + 1)
	}
	wg.Go(func() { verify("quiet", quiet, dummy) })
	waitFor(4)
	for i := range 5 {
		gate <- struct{}{}
		for done := false; !done; time.Sleep(time.Millisecond) {
			mu.Lock()
			done = len(order) == i+1
			mu.Unlock()
		}
	}
	wg.Wait()
	if diff := cmp.Diff([]string{"flood 1", "quiet", "flood 2", "flood 3", "flood 4"}, order); diff != "" {
		t.Errorf("order of verifications (-want +got):\n%s", diff)
	}
}

// TestExpensiveBusyExemptsAuthenticatedCallers fills one client address's
// queue of waiting computations: ExpensiveBusy then refuses that address's
// unauthenticated requests with TooManyRequestsException, as Expensive
// would, and lets the same address's authenticated (IAM-signed) requests
// through, since Expensive lets those wait without the bound.
func TestExpensiveBusyExemptsAuthenticatedCallers(t *testing.T) {
	saved := argonLimit.Load()
	t.Cleanup(func() { argonLimit.Store(saved) })
	q := ratelimit.NewFairQueue(ratelimit.FairQueueConfig{Slots: 1, MaxWaiting: 1})
	argonLimit.Store(q)

	addr := ratelimit.WithClientAddr(context.Background(), netip.MustParseAddr("203.0.113.9"))
	hold, err := q.Acquire(addr, "203.0.113.9")
	if err != nil {
		t.Fatal(err)
	}
	defer hold()
	waitCtx, cancel := context.WithCancel(addr)
	defer cancel()
	waited := make(chan error, 1)
	go func() {
		release, err := q.Acquire(waitCtx, "203.0.113.9")
		if err == nil {
			release()
		}
		waited <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); q.Waiting() != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second computation never waited")
		}
	}

	err = ExpensiveBusy(addr)
	var ce *cognito.Error
	if !errors.As(err, &ce) || ce.Code != "TooManyRequestsException" {
		t.Errorf("ExpensiveBusy(unauthenticated) = %v, want TooManyRequestsException", err)
	}
	if err := ExpensiveBusy(ratelimit.WithAuthenticated(addr)); err != nil {
		t.Errorf("ExpensiveBusy(authenticated) = %v, want nil", err)
	}
	cancel()
	if err := <-waited; !errors.Is(err, context.Canceled) {
		t.Errorf("waiting computation ended with %v, want context.Canceled", err)
	}
}
