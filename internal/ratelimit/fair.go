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
// when FairQueueConfig leaves MaxWaiting zero: the burst the per-address
// limit admits by default (200), so that the requests one client sends at
// once within that limit wait their turn rather than being refused. A test
// suite that signs in dozens of users at once from one machine (Cognito
// admits 120 sign-ins a second for an account) was refused beyond 32.
// Fair scheduling, not this bound, keeps a flooding client from delaying
// the others.
const DefaultMaxWaiting = 200

// usageHalfLife is how fast a key's record of recent work fades: what it
// was granted a second ago counts half.
const usageHalfLife = time.Second

// reserveFor is how long after a computation of a client with nothing
// else running or waiting the last free slot stays kept for such clients.
const reserveFor = time.Second

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
// that flood, which take turns among themselves.
//
// With two slots or more it also keeps the last free slot for light keys
// while they are about: a key that has a computation running or waiting
// already (a flood) does not take the last free slot when, in the last
// second, a key with nothing running or waiting was granted one while
// another key was busy. The light key then finds a slot free instead of
// waiting for one to end, and the floods keep the other slots. A lone
// busy client, or several with no light one about, use every slot.
//
// It does not look at what the work is for, so a sign-in for a user that
// exists and one for a user that does not queue alike. It is safe for
// concurrent use.
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
	// active counts the keys with a computation running or waiting.
	active int
	// lastLight is when a light key was last granted a slot while another
	// key was active.
	lastLight time.Time
}

type fairKey struct {
	// usage is the key's decayed count of grants as of at.
	usage   float64
	at      time.Time
	queue   []*fairWaiter
	running int
}

// load is how many computations k has running or waiting.
func (k *fairKey) load() int { return k.running + len(k.queue) }

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

// Full reports whether key has as many computations waiting as it may, so
// that Acquire would return ErrBusy now: a caller can refuse a request
// before doing the work that leads to its computation.
func (q *FairQueue) Full(key string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	k := q.keys[key]
	return k != nil && len(k.queue) >= q.maxWaiting
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
	return q.acquire(ctx, key, true)
}

// AcquireUnbounded is Acquire without the bound on waiting computations,
// for the work of authenticated callers (an administrator's
// AdminInitiateAuth), which the bound is not there to refuse.
func (q *FairQueue) AcquireUnbounded(ctx context.Context, key string) (release func(), err error) {
	return q.acquire(ctx, key, false)
}

func (q *FairQueue) acquire(ctx context.Context, key string, bounded bool) (release func(), err error) {
	q.mu.Lock()
	now := q.clock()
	k := q.keys[key]
	if k == nil {
		k = &fairKey{at: now}
		q.keys[key] = k
	}
	if q.busy < q.slots && (q.waiting == 0 || k.load() == 0) && q.mayTakeLocked(k, 0, now) {
		// A slot is free, and either nobody waits or this light key may
		// have the slot kept for light keys.
		q.grantLocked(k, 0, now)
		q.mu.Unlock()
		return func() { q.releaseKey(k) }, nil
	}
	if bounded && len(k.queue) >= q.maxWaiting {
		q.mu.Unlock()
		return nil, ErrBusy
	}
	q.seq++
	w := &fairWaiter{seq: q.seq, ready: make(chan struct{})}
	if k.load() == 0 {
		q.active++
	}
	k.queue = append(k.queue, w)
	q.waiting++
	q.mu.Unlock()

	select {
	case <-w.ready:
		return func() { q.releaseKey(k) }, nil
	case <-ctx.Done():
	}
	q.mu.Lock()
	if w.granted {
		// Granted as ctx ended: pass the slot on.
		q.mu.Unlock()
		q.releaseKey(k)
		return nil, ctx.Err()
	}
	for i, other := range k.queue {
		if other == w {
			k.queue = append(k.queue[:i], k.queue[i+1:]...)
			q.waiting--
			if k.load() == 0 {
				q.active--
			}
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

// releaseKey gives k's slot back and grants free slots to the next
// waiters, if any.
func (q *FairQueue) releaseKey(k *fairKey) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.busy--
	k.running--
	if k.load() == 0 {
		q.active--
	}
	now := q.clock()
	for q.busy < q.slots && q.waiting > 0 {
		var next *fairKey
		nextUsage := math.Inf(1)
		for _, c := range q.keys {
			if len(c.queue) == 0 || !q.mayTakeLocked(c, 1, now) {
				continue
			}
			// Hundredths of a grant tell nothing: below them, the oldest
			// waiter goes first.
			u := math.Floor(c.decayed(now) * 100)
			if u < nextUsage || (u == nextUsage && c.queue[0].seq < next.queue[0].seq) {
				next, nextUsage = c, u
			}
		}
		if next == nil {
			break // the last slot is kept for a light key
		}
		q.grantLocked(next, 1, now)
		w := next.queue[0]
		next.queue = next.queue[1:]
		q.waiting--
		w.granted = true
		close(w.ready)
	}
	if now.Sub(q.lastSweep) >= 10*usageHalfLife {
		q.sweepLocked(now)
	}
}

// mayTakeLocked reports whether k may take a free slot for a computation
// of which own are already counted in k's load (1 for a waiter, 0 for a
// newcomer): any
// slot but the last one, and the last one too unless it is kept for light
// keys and k, with more than that computation running or waiting, is not
// one.
func (q *FairQueue) mayTakeLocked(k *fairKey, own int, now time.Time) bool {
	if q.slots < 2 || q.busy < q.slots-1 || k.load()-own == 0 {
		return true
	}
	return q.lastLight.IsZero() || now.Sub(q.lastLight) >= reserveFor
}

// grantLocked takes a slot for k, for a computation counted in k's load
// (own is 1 for a waiter just taken off k's queue, 0 for a newcomer), and
// records the work against it.
func (q *FairQueue) grantLocked(k *fairKey, own int, now time.Time) {
	wasIdle := k.load()-own == 0
	if own == 0 && wasIdle {
		q.active++
	}
	if wasIdle && q.active > 1 {
		q.lastLight = now
	}
	q.busy++
	k.running++
	k.usage = k.decayed(now) + 1
	k.at = now
}

// sweepLocked drops the keys with nothing waiting whose record of work has
// faded to nothing.
func (q *FairQueue) sweepLocked(now time.Time) {
	q.lastSweep = now
	for key, k := range q.keys {
		if k.load() == 0 && k.decayed(now) < 0.01 {
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
