package ratelimit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fairHarness runs computations through a FairQueue one goroutine each and
// lets the test decide when each finishes.
type fairHarness struct {
	t       *testing.T
	q       *FairQueue
	granted chan string
	mu      sync.Mutex
	done    map[string]chan struct{}
}

func newFairHarness(t *testing.T, c FairQueueConfig) *fairHarness {
	return &fairHarness{t: t, q: NewFairQueue(c), granted: make(chan string, 100), done: map[string]chan struct{}{}}
}

// start asks for a slot for key under the computation's name, and returns
// once it holds one or waits in the queue.
func (h *fairHarness) start(key, name string) {
	h.t.Helper()
	done := make(chan struct{})
	h.mu.Lock()
	h.done[name] = done
	h.mu.Unlock()
	before := h.waiting()
	go func() {
		release, err := h.q.Acquire(context.Background(), key)
		if err != nil {
			h.granted <- name + ": " + err.Error()
			return
		}
		h.granted <- name
		<-done
		release()
	}()
	deadline := time.Now().Add(10 * time.Second)
	for h.waiting() == before && len(h.granted) == 0 {
		if time.Now().After(deadline) {
			h.t.Fatalf("%s neither ran nor queued", name)
		}
		time.Sleep(time.Millisecond)
	}
}

func (h *fairHarness) waiting() int {
	h.q.mu.Lock()
	defer h.q.mu.Unlock()
	return h.q.waiting
}

// next returns the name of the next computation granted a slot.
func (h *fairHarness) next() string {
	h.t.Helper()
	select {
	case name := <-h.granted:
		return name
	case <-time.After(10 * time.Second):
		h.t.Fatal("no computation was granted a slot")
		return ""
	}
}

// finish ends the named computation, freeing its slot.
func (h *fairHarness) finish(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	close(h.done[name])
}

// TestFairQueueServesTheQuietClientFirst runs one slot: a flooding
// address holds it and has three more computations waiting when a quiet
// address asks for one. The quiet one is served next, then the flood's in
// their order.
func TestFairQueueServesTheQuietClientFirst(t *testing.T) {
	clock := newFakeClock()
	h := newFairHarness(t, FairQueueConfig{Slots: 1, Clock: clock.Now})
	h.start("flood", "f1")
	if got := h.next(); got != "f1" {
		t.Fatalf("first grant %q", got)
	}
	for _, name := range []string{"f2", "f3", "f4"} {
		h.start("flood", name)
	}
	h.start("quiet", "q1")
	var order []string
	last := "f1"
	for range 4 {
		h.finish(last)
		last = h.next()
		order = append(order, last)
	}
	h.finish(last)
	if diff := cmp.Diff([]string{"q1", "f2", "f3", "f4"}, order); diff != "" {
		t.Errorf("grant order (-want +got):\n%s", diff)
	}
}

// TestFairQueueAlternatesBetweenFloods checks that two keys that both
// flood take turns, and that work granted long ago no longer counts.
func TestFairQueueAlternatesBetweenFloods(t *testing.T) {
	clock := newFakeClock()
	h := newFairHarness(t, FairQueueConfig{Slots: 1, Clock: clock.Now})
	h.start("a", "a0")
	h.next()
	for _, name := range []string{"a1", "a2", "a3"} {
		h.start("a", name)
	}
	for _, name := range []string{"b1", "b2", "b3"} {
		h.start("b", name)
	}
	var order []string
	last := "a0"
	for range 6 {
		h.finish(last)
		last = h.next()
		order = append(order, last)
	}
	h.finish(last)
	if diff := cmp.Diff([]string{"b1", "a1", "b2", "a2", "b3", "a3"}, order); diff != "" {
		t.Errorf("grant order (-want +got):\n%s", diff)
	}

	// A minute later both have faded: the oldest waiter goes first.
	clock.Advance(time.Minute)
	h.start("c", "hold")
	h.next()
	h.start("a", "a4")
	h.start("b", "b4")
	h.finish("hold")
	if got := h.next(); got != "a4" {
		t.Errorf("after a minute: %q first, want a4 (the oldest)", got)
	}
	h.finish("a4")
	if got := h.next(); got != "b4" {
		t.Errorf("then %q, want b4", got)
	}
	h.finish("b4")
}

// TestFairQueueBoundsWaiting checks MaxWaiting: a key's next computation
// beyond it is ErrBusy at once, while another key still queues.
func TestFairQueueBoundsWaiting(t *testing.T) {
	h := newFairHarness(t, FairQueueConfig{Slots: 1, MaxWaiting: 2})
	h.start("a", "a0")
	h.next()
	h.start("a", "a1")
	h.start("a", "a2")
	if _, err := h.q.Acquire(context.Background(), "a"); !errors.Is(err, ErrBusy) {
		t.Errorf("third waiter of a: %v, want ErrBusy", err)
	}
	release, err := func() (func(), error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		return h.q.AcquireUnbounded(ctx, "a")
	}()
	if !errors.Is(err, context.DeadlineExceeded) || release != nil {
		t.Errorf("an unbounded waiter of a: %v, want it to wait (and time out)", err)
	}
	if !h.q.Full("a") || h.q.Full("b") || h.q.Full("never seen") {
		t.Errorf("Full: a %v, b %v, never seen %v; want true, false, false", h.q.Full("a"), h.q.Full("b"), h.q.Full("never seen"))
	}
	h.start("b", "b1")
	if got := h.waiting(); got != 3 {
		t.Errorf("%d waiting, want 3", got)
	}
	h.finish("a0")
	for range 3 {
		h.finish(h.next())
	}
}

// TestFairQueueCancel checks that a waiter whose context ends leaves the
// queue and does not take a slot.
func TestFairQueueCancel(t *testing.T) {
	q := NewFairQueue(FairQueueConfig{Slots: 1})
	release, err := q.Acquire(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := q.Acquire(ctx, "b"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Acquire with an ended context: %v", err)
	}
	release()
	release2, err := q.Acquire(context.Background(), "c")
	if err != nil {
		t.Fatalf("after the cancelled waiter: %v", err)
	}
	release2()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.busy != 0 || q.waiting != 0 {
		t.Errorf("busy %d, waiting %d; want 0 and 0", q.busy, q.waiting)
	}
}

// TestFairQueueConcurrent runs many computations of many keys at once:
// never more than Slots run together, and every one runs.
func TestFairQueueConcurrent(t *testing.T) {
	q := NewFairQueue(FairQueueConfig{Slots: 3, MaxWaiting: 1000})
	var running, peak, ran atomic.Int32
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			err := q.Run(context.Background(), string(rune('a'+i%7)), func() {
				n := running.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				time.Sleep(100 * time.Microsecond)
				running.Add(-1)
				ran.Add(1)
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ran.Load() != 200 || peak.Load() > 3 {
		t.Errorf("ran %d (want 200), at most %d at once (want 3 at most)", ran.Load(), peak.Load())
	}
}

// TestFairQueueKeepsLastSlotForLightKeys runs two slots that a flood
// fills: once a light key has been served while the flood was busy, the
// flood no longer takes the last free slot, so the next light key finds
// it free at once, and a second after the last light key was served the
// flood may take every slot again.
func TestFairQueueKeepsLastSlotForLightKeys(t *testing.T) {
	clock := newFakeClock()
	h := newFairHarness(t, FairQueueConfig{Slots: 2, Clock: clock.Now})
	h.start("flood", "f1")
	h.start("flood", "f2")
	if got := []string{h.next(), h.next()}; !cmp.Equal(got, []string{"f1", "f2"}) && !cmp.Equal(got, []string{"f2", "f1"}) {
		t.Fatalf("a lone flood got %v, want both slots", got)
	}
	for _, name := range []string{"f3", "f4", "f5"} {
		h.start("flood", name)
	}
	h.start("light", "l1")
	h.finish("f1")
	if got := h.next(); got != "l1" {
		t.Fatalf("after f1: %q, want l1", got)
	}
	h.finish("f2")
	select {
	case name := <-h.granted:
		t.Fatalf("after f2: %q took the slot kept for light keys", name)
	case <-time.After(50 * time.Millisecond):
	}
	h.start("light-2", "l2")
	if got := h.next(); got != "l2" {
		t.Fatalf("a second light key: %q, want l2 at once", got)
	}
	h.finish("l1")
	select {
	case name := <-h.granted:
		t.Fatalf("after l1: %q took the slot kept for light keys", name)
	case <-time.After(50 * time.Millisecond):
	}
	clock.Advance(2 * time.Second)
	h.finish("l2")
	if got := []string{h.next(), h.next()}; !cmp.Equal(got, []string{"f3", "f4"}) && !cmp.Equal(got, []string{"f4", "f3"}) {
		t.Fatalf("after l2, two seconds on: %v, want f3 and f4 (no light key about: every slot)", got)
	}
	h.finish("f3")
	if got := h.next(); got != "f5" {
		t.Fatalf("after f3: %q, want f5", got)
	}
	h.finish("f4")
	h.finish("f5")
}
