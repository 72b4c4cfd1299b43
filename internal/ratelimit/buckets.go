package ratelimit

import (
	"sync"
	"time"
)

// DefaultMaxKeys is the number of buckets a bucket set keeps when its
// configuration leaves the cap zero: far more pools, users or addresses
// than one process serves at once, and a few megabytes at most.
const DefaultMaxKeys = 1 << 16

// sweepEvery is how often a bucket set drops the buckets that have
// refilled.
const sweepEvery = 10 * time.Second

// epsilon absorbs the rounding of refills computed from nanosecond
// durations, so that a bucket refilled by exactly one request's worth of
// time admits that request.
const epsilon = 1e-9

// overflowKey is the key that requests share once the buckets are at
// their cap; no pool ID, user or address starts with a NUL byte.
const overflowKey = "\x00overflow"

// bucketSet is a map of token buckets by class and key, with an injected
// clock, a cap on the number of buckets, and a sweep that drops the ones
// that have refilled (a full bucket admits exactly what a new one would).
// It is safe for concurrent use.
type bucketSet struct {
	maxKeys int
	clock   func() time.Time
	// size returns the rate (tokens a second) and burst (tokens a full
	// bucket holds) of a class.
	sizeOf func(class string) (rate, burst float64)

	// mu guards buckets and lastSweep.
	mu        sync.Mutex
	buckets   map[bucketKey]*bucket
	lastSweep time.Time
}

type bucketKey struct {
	class string
	key   string
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newBucketSet(maxKeys int, clock func() time.Time, sizeOf func(class string) (rate, burst float64)) *bucketSet {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	if clock == nil {
		clock = time.Now
	}
	return &bucketSet{maxKeys: maxKeys, clock: clock, sizeOf: sizeOf, buckets: map[bucketKey]*bucket{}}
}

// take takes a token from the first of the classes' buckets for key that
// has one.
func (s *bucketSet) take(classes []string, key string) bool {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.lastSweep) >= sweepEvery {
		s.sweepLocked(now)
	}
	for _, class := range classes {
		rate, burst := s.sizeOf(class)
		if s.bucketLocked(class, key, now, burst).takeToken(now, rate, burst) {
			return true
		}
	}
	return false
}

// bucketLocked returns the bucket of class and key, creating a full one.
// At the cap it first drops the refilled buckets, and if none is, the key
// shares its class's overflow bucket.
func (s *bucketSet) bucketLocked(class, key string, now time.Time, burst float64) *bucket {
	k := bucketKey{class, key}
	if b, ok := s.buckets[k]; ok {
		return b
	}
	if len(s.buckets) >= s.maxKeys {
		s.sweepLocked(now)
		if len(s.buckets) >= s.maxKeys {
			k.key = overflowKey
			if b, ok := s.buckets[k]; ok {
				return b
			}
		}
	}
	b := &bucket{tokens: burst, last: now}
	s.buckets[k] = b
	return b
}

// sweepLocked drops every bucket that has refilled.
func (s *bucketSet) sweepLocked(now time.Time) {
	s.lastSweep = now
	for k, b := range s.buckets {
		rate, burst := s.sizeOf(k.class)
		if b.level(now, rate, burst) >= burst {
			delete(s.buckets, k)
		}
	}
}

// size returns how many buckets s holds; for tests.
func (s *bucketSet) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.buckets)
}

// level returns the tokens b holds at now.
func (b *bucket) level(now time.Time, rate, burst float64) float64 {
	elapsed := now.Sub(b.last).Seconds()
	if elapsed <= 0 {
		return b.tokens
	}
	return min(burst, b.tokens+elapsed*rate)
}

// takeToken refills b up to now and takes one token if it holds one.
func (b *bucket) takeToken(now time.Time, rate, burst float64) bool {
	if now.After(b.last) {
		b.tokens = b.level(now, rate, burst)
		b.last = now
	}
	if b.tokens+epsilon < 1 {
		return false
	}
	b.tokens = max(b.tokens-1, 0)
	return true
}
