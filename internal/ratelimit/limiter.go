package ratelimit

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"time"
)

// DefaultMaxKeys is the number of buckets a Limiter keeps when Config
// leaves MaxKeys zero: far more pools than one process serves at once,
// and a few megabytes at most.
const DefaultMaxKeys = 1 << 16

// sweepEvery is how often Allow drops the buckets that have refilled.
const sweepEvery = 10 * time.Second

// epsilon absorbs the rounding of refills computed from nanosecond
// durations, so that a bucket refilled by exactly one request's worth of
// time admits that request.
const epsilon = 1e-9

// Config configures a Limiter.
type Config struct {
	// Disabled turns every limit off: Allow always admits.
	Disabled bool
	// Scale multiplies every default rate; 0 means 1. It does not touch
	// the rates that Rates sets.
	Scale float64
	// Rates sets the rate of a category in requests per second, in place
	// of its scaled default.
	Rates map[Category]float64
	// MaxKeys caps the number of buckets; DefaultMaxKeys when zero.
	MaxKeys int
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
}

// Limiter admits or refuses requests by category and key with one token
// bucket per pair. Each bucket holds as many tokens as its rate (at least
// one), so a category absorbs a burst of one second's worth of requests.
// A Limiter is safe for concurrent use.
type Limiter struct {
	disabled bool
	// rates holds the rate of every bucket class: each category, and the
	// challenge allowance.
	rates   map[string]float64
	maxKeys int
	clock   func() time.Time

	// mu guards buckets and lastSweep.
	mu        sync.Mutex
	buckets   map[bucketKey]*bucket
	lastSweep time.Time
}

// challengeClass is the bucket class of the challenge allowance.
const challengeClass = "UserAuthentication challenge responses"

// overflowKey is the key that requests share once the buckets are at
// their cap; no pool ID or region starts with a NUL byte.
const overflowKey = "\x00overflow"

type bucketKey struct {
	class string
	key   string
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns a Limiter for c. It refuses an unknown category, and a
// scale or rate that is negative, zero (a rate) or not finite.
func New(c Config) (*Limiter, error) {
	if c.Disabled {
		return Off(), nil
	}
	scale := c.Scale
	switch {
	case scale == 0:
		scale = 1
	case scale < 0 || math.IsNaN(scale) || math.IsInf(scale, 0):
		return nil, fmt.Errorf("scale %v: must be a positive number", c.Scale)
	}
	l := &Limiter{
		rates:   map[string]float64{},
		maxKeys: c.MaxKeys,
		clock:   c.Clock,
		buckets: map[bucketKey]*bucket{},
	}
	if l.maxKeys <= 0 {
		l.maxKeys = DefaultMaxKeys
	}
	if l.clock == nil {
		l.clock = time.Now
	}
	for _, q := range quotas {
		l.rates[string(q.category)] = q.rate * scale
	}
	for _, cat := range slices.Sorted(maps.Keys(c.Rates)) {
		r := c.Rates[cat]
		if !Known(cat) {
			return nil, fmt.Errorf("rate of %q: not a quota category", cat)
		}
		if !(r > 0) || math.IsInf(r, 0) {
			return nil, fmt.Errorf("rate of %s: %v: must be a positive number", cat, r)
		}
		l.rates[string(cat)] = r
	}
	l.rates[challengeClass] = ChallengeMultiple * l.rates[string(UserAuthentication)]
	return l, nil
}

// Off returns a Limiter that admits every request.
func Off() *Limiter { return &Limiter{disabled: true} }

// Enabled reports whether l limits anything.
func (l *Limiter) Enabled() bool { return !l.disabled }

// Rate returns the rate of c in requests per second, or 0 when l is off
// or c is unknown.
func (l *Limiter) Rate(c Category) float64 {
	if l.disabled {
		return 0
	}
	return l.rates[string(c)]
}

// Allow reports whether a request for the user-pool operation, counted
// under key (the user pool it addresses, say), is within its category's
// rate, and takes a token when it is. An operation in no category is
// always admitted. RespondToAuthChallenge and AdminRespondToAuthChallenge
// draw first on their own allowance, ChallengeMultiple times the
// UserAuthentication rate, and then on UserAuthentication.
func (l *Limiter) Allow(operation, key string) bool {
	if l.disabled {
		return true
	}
	c, ok := CategoryOf(operation)
	if !ok {
		return true
	}
	classes := []string{string(c)}
	if slices.Contains(challengeOperations, operation) {
		classes = []string{challengeClass, string(c)}
	}
	return l.take(classes, key)
}

// AllowCategory is Allow for requests that are not API operations, such
// as the token endpoint's client_credentials grants (ClientAuthentication).
// An unknown category is always admitted.
func (l *Limiter) AllowCategory(c Category, key string) bool {
	if l.disabled || !Known(c) {
		return true
	}
	return l.take([]string{string(c)}, key)
}

// take takes a token from the first of the classes' buckets for key that
// has one.
func (l *Limiter) take(classes []string, key string) bool {
	now := l.clock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= sweepEvery {
		l.sweepLocked(now)
	}
	for _, class := range classes {
		if l.bucketLocked(class, key, now).takeToken(now, l.rates[class]) {
			return true
		}
	}
	return false
}

// bucketLocked returns the bucket of class and key, creating a full one.
// At the cap it first drops the refilled buckets, and if none is, the key
// shares its class's overflow bucket.
func (l *Limiter) bucketLocked(class, key string, now time.Time) *bucket {
	k := bucketKey{class, key}
	if b, ok := l.buckets[k]; ok {
		return b
	}
	if len(l.buckets) >= l.maxKeys {
		l.sweepLocked(now)
		if len(l.buckets) >= l.maxKeys {
			k.key = overflowKey
			if b, ok := l.buckets[k]; ok {
				return b
			}
		}
	}
	b := &bucket{tokens: burst(l.rates[class]), last: now}
	l.buckets[k] = b
	return b
}

// sweepLocked drops every bucket that has refilled: a full bucket admits
// exactly what a new one would.
func (l *Limiter) sweepLocked(now time.Time) {
	l.lastSweep = now
	for k, b := range l.buckets {
		if b.level(now, l.rates[k.class]) >= burst(l.rates[k.class]) {
			delete(l.buckets, k)
		}
	}
}

// burst is the size of a bucket for rate: one second of requests, and at
// least one request so that a rate below one still admits.
func burst(rate float64) float64 { return max(rate, 1) }

// level returns the tokens b holds at now.
func (b *bucket) level(now time.Time, rate float64) float64 {
	elapsed := now.Sub(b.last).Seconds()
	if elapsed <= 0 {
		return b.tokens
	}
	return min(burst(rate), b.tokens+elapsed*rate)
}

// takeToken refills b up to now and takes one token if it holds one.
func (b *bucket) takeToken(now time.Time, rate float64) bool {
	if now.After(b.last) {
		b.tokens = b.level(now, rate)
		b.last = now
	}
	if b.tokens+epsilon < 1 {
		return false
	}
	b.tokens = max(b.tokens-1, 0)
	return true
}

// size returns how many buckets l holds; for tests.
func (l *Limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
