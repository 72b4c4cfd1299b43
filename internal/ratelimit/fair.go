package ratelimit

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"
)

// ErrBusy is what FairQueue.Acquire returns when the caller's key already
// has as many computations waiting as it may: the edge answers it with
// TooManyRequestsException.
var ErrBusy = errors.New("ratelimit: too many computations waiting for this client")

// DefaultMaxWaiting is how many computations one key may have waiting
// when FairQueueConfig leaves MaxWaiting zero.
const DefaultMaxWaiting = 32

// usageHalfLife is how fast a key's record of recent work fades: what it
// was granted a second ago counts half.
const usageHalfLife = time.Second

// FairQueueConfig configures a FairQueue.
type FairQueueConfig struct {
	// Slots is how many computations run at once; at least 1.
	Slots int
	// MaxWaiting is how many computations one key may have waiting;
	// DefaultMaxWaiting when zero.
	MaxWaiting int
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
}

// FairQueue schedules expensive computations (password hashing, SRP's
// modular exponentiation) so that a flood from some clients cannot starve
// the others. At most Slots run at once. When a slot is free and
// computations wait, it goes to the waiting key (a client address) that
// was granted the least work lately, its grants decaying by half every
// second, and among a key's own computations to the oldest: a client that
// asks for a little work now and then is served next, ahead of the keys
// that flood, which take turns among themselves. It does not look at what
// the work is for, so a sign-in for a user that exists and one for a user
// that does not queue alike. It is safe for concurrent use.
type FairQueue struct {
	slots, maxWaiting int
	clock             func() time.Time

	// mu guards everything below.
	mu   sync.Mutex
	busy int
	// keys holds every key with computations waiting or work granted
	// lately.
	keys      map[string]*fairKey
	waiting   int
	seq       uint64
	lastSweep time.Time
}

type fairKey struct {
	// usage is the key's decayed count of grants as of at.
	usage float64
	at    time.Time
	queue []*fairWaiter
}

type fairWaiter struct {
	seq   uint64
	ready chan struct{}
	// granted is set, under the queue's lock, when the waiter is given a
	// slot.
	granted bool
}

// NewFairQueue returns a FairQueue for c.
func NewFairQueue(c FairQueueConfig) *FairQueue {
	q := &FairQueue{slots: max(c.Slots, 1), maxWaiting: c.MaxWaiting, clock: c.Clock, keys: map[string]*fairKey{}}
	if q.maxWaiting <= 0 {
		q.maxWaiting = DefaultMaxWaiting
	}
	if q.clock == nil {
		q.clock = time.Now
	}
	return q
}

// Waiting returns how many computations wait for a slot.
func (q *FairQueue) Waiting() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.waiting
}

// Slots returns how many computations run at once.
func (q *FairQueue) Slots() int { return q.slots }

// Acquire waits for a slot for a computation of key, and returns the
// function that gives it back, which must be called exactly once. It
// returns ErrBusy at once when key already has MaxWaiting computations
// waiting, and ctx's error when ctx ends before a slot is free.
func (q *FairQueue) Acquire(ctx context.Context, key string) (release func(), err error) {
	q.mu.Lock()
	now := q.clock()
	k := q.keys[key]
	if k == nil {
		k = &fairKey{at: now}
		q.keys[key] = k
	}
	if q.busy < q.slots && q.waiting == 0 {
		q.grantLocked(k, now)
		q.mu.Unlock()
		return q.release, nil
	}
	if len(k.queue) >= q.maxWaiting {
		q.mu.Unlock()
		return nil, ErrBusy
	}
	q.seq++
	w := &fairWaiter{seq: q.seq, ready: make(chan struct{})}
	k.queue = append(k.queue, w)
	q.waiting++
	q.mu.Unlock()

	select {
	case <-w.ready:
		return q.release, nil
	case <-ctx.Done():
	}
	q.mu.Lock()
	if w.granted {
		// Granted as ctx ended: pass the slot on.
		q.mu.Unlock()
		q.release()
		return nil, ctx.Err()
	}
	for i, other := range k.queue {
		if other == w {
			k.queue = append(k.queue[:i], k.queue[i+1:]...)
			q.waiting--
			break
		}
	}
	q.mu.Unlock()
	return nil, ctx.Err()
}

// Run runs f once a slot for key is free; see Acquire.
func (q *FairQueue) Run(ctx context.Context, key string, f func()) error {
	release, err := q.Acquire(ctx, key)
	if err != nil {
		return err
	}
	defer release()
	f()
	return nil
}

// release gives a slot back and grants it to the next waiter, if any.
func (q *FairQueue) release() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.busy--
	now := q.clock()
	if q.waiting > 0 {
		var next *fairKey
		nextUsage := math.Inf(1)
		for _, k := range q.keys {
			if len(k.queue) == 0 {
				continue
			}
			// Hundredths of a grant tell nothing: below them, the oldest
			// waiter goes first.
			u := math.Floor(k.decayed(now) * 100)
			if u < nextUsage || (u == nextUsage && k.queue[0].seq < next.queue[0].seq) {
				next, nextUsage = k, u
			}
		}
		w := next.queue[0]
		next.queue = next.queue[1:]
		q.waiting--
		w.granted = true
		q.grantLocked(next, now)
		close(w.ready)
	}
	if now.Sub(q.lastSweep) >= 10*usageHalfLife {
		q.sweepLocked(now)
	}
}

// grantLocked takes a slot for k and records the work against it.
func (q *FairQueue) grantLocked(k *fairKey, now time.Time) {
	q.busy++
	k.usage = k.decayed(now) + 1
	k.at = now
}

// sweepLocked drops the keys with nothing waiting whose record of work has
// faded to nothing.
func (q *FairQueue) sweepLocked(now time.Time) {
	q.lastSweep = now
	for key, k := range q.keys {
		if len(k.queue) == 0 && k.decayed(now) < 0.01 {
			delete(q.keys, key)
		}
	}
}

// decayed returns k's usage as of now.
func (k *fairKey) decayed(now time.Time) float64 {
	d := now.Sub(k.at)
	if d <= 0 {
		return k.usage
	}
	return k.usage * math.Exp2(-d.Seconds()/usageHalfLife.Seconds())
}
