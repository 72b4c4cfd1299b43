package userpool

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
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
	hash, err := hashPassword(password)
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
		wg.Go(func() { got[i] = VerifyPassword(c.hash, c.password) })
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
		initial *argonLimiter // the semaphore before
		setUp   func(t *testing.T)
	}{
		{"first use", nil, func(t *testing.T) {
			if _, err := hashPassword("Correct-Horse-1"); err != nil {
				t.Fatal(err)
			}
		}},
		{"SetPasswordHashing", newArgonLimiter(want + 5), func(t *testing.T) {
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
			if got := cap(l.slots); got != want {
				t.Errorf("cap = %d, want GOMAXPROCS %d", got, want)
			}
		})
	}
}
