package password

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

// TestConcurrencyCap runs many verifications at once (right and wrong
// passwords, and against the dummy hash that hides unknown users) and
// checks, by counting computations in flight through the Hasher's
// observer, that no more than the cap ever compute together, that the cap
// is reached, and that every verification answers right.
func TestConcurrencyCap(t *testing.T) {
	const limit, n = 3, 30
	h := newHasher(t, Config{Slots: limit})

	const password = "Correct-Horse-1"
	hash, err := h.Hash(context.Background(), password)
	if err != nil {
		t.Fatal(err)
	}
	dummy := h.Dummy()

	var running, peak atomic.Int64
	waiting := make(chan struct{}, n)
	started := make(chan struct{}, n)
	gate := make(chan struct{})
	h.observe = func(e Event) {
		switch e {
		case EventWaiting:
			waiting <- struct{}{}
		case EventStarted:
			r := running.Add(1)
			for p := peak.Load(); r > p && !peak.CompareAndSwap(p, r); p = peak.Load() {
			}
			started <- struct{}{}
			<-gate // hold the slot until the test has looked
		case EventDone:
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
			ok, err := h.Verify(context.Background(), c.hash, c.password)
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

// TestConcurrencySize checks that the cap is GOMAXPROCS unless the
// configuration names one, and that each Hasher has a cap of its own.
func TestConcurrencySize(t *testing.T) {
	if got, want := newHasher(t, Config{}).Slots(), runtime.GOMAXPROCS(0); got != want {
		t.Errorf("cap = %d, want GOMAXPROCS %d", got, want)
	}
	if got := newHasher(t, Config{Slots: 5}).Slots(); got != 5 {
		t.Errorf("cap = %d, want the configured 5", got)
	}
}

// TestFairBetweenClients runs one slot: a flooding client address holds it
// and has three more verifications waiting when a quiet address asks for
// one. The quiet address's verification runs next, ahead of the flood's,
// whether its user exists or not (with a FIFO semaphore it waited behind
// the whole flood). The client address comes from the context, as the API
// edge puts it there.
func TestFairBetweenClients(t *testing.T) {
	h := newHasher(t, Config{Slots: 1})
	hash, err := h.Hash(context.Background(), "Correct-Horse-1")
	if err != nil {
		t.Fatal(err)
	}
	dummy := h.Dummy()

	gate := make(chan struct{})
	started := make(chan struct{}, 5)
	h.observe = func(e Event) {
		if e == EventStarted {
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
		ok, err := h.Verify(ctx, phc, "Wrong-Horse-1")
		mu.Lock()
		defer mu.Unlock()
		if ok || err != nil {
			t.Errorf("%s: %v, %v; want a wrong password", name, ok, err)
		}
		order = append(order, name)
	}
	waitFor := func(waiting int) {
		deadline := time.Now().Add(10 * time.Second)
		for h.queue.Waiting() != waiting {
			if time.Now().After(deadline) {
				t.Fatalf("%d computations waiting, want %d", h.queue.Waiting(), waiting)
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

// TestBusyExemptsAuthenticatedCallers fills one client address's queue of
// waiting computations: Busy then refuses that address's unauthenticated
// requests with TooManyRequestsException, as Run does, and lets the same
// address's authenticated (IAM-signed) requests through, since Run lets
// those wait without the bound.
func TestBusyExemptsAuthenticatedCallers(t *testing.T) {
	h := newHasher(t, Config{Slots: 1, MaxWaiting: 1})
	addr := ratelimit.WithClientAddr(context.Background(), netip.MustParseAddr("203.0.113.9"))
	holding, hold := make(chan struct{}), make(chan struct{})
	go h.Run(addr, func() { close(holding); <-hold })
	<-holding
	defer close(hold)
	waitCtx, cancel := context.WithCancel(addr)
	defer cancel()
	waited := make(chan error, 1)
	go func() { waited <- h.Run(waitCtx, func() { t.Error("a cancelled computation ran") }) }()
	for deadline := time.Now().Add(10 * time.Second); h.queue.Waiting() != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second computation never waited")
		}
	}

	for name, err := range map[string]error{
		"Busy": h.Busy(addr),
		"Run":  h.Run(addr, func() { t.Error("a refused computation ran") }),
	} {
		var ce *cognito.Error
		if !errors.As(err, &ce) || ce.Code != cognito.CodeTooManyRequestsException || !errors.Is(err, ratelimit.ErrBusy) {
			t.Errorf("%s(unauthenticated) = %v, want TooManyRequestsException caused by ratelimit.ErrBusy", name, err)
		}
	}
	if err := h.Busy(ratelimit.WithAuthenticated(addr)); err != nil {
		t.Errorf("Busy(authenticated) = %v, want nil", err)
	}
	cancel()
	err := <-waited
	var ce *cognito.Error
	if !errors.As(err, &ce) || ce.Code != cognito.CodeInternalErrorException || !errors.Is(err, context.Canceled) {
		t.Errorf("waiting computation ended with %v, want InternalErrorException caused by context.Canceled", err)
	}
}
