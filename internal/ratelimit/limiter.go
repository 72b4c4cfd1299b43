package ratelimit

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sync/atomic"
	"time"
)

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
	// challenge allowance. Provision replaces the map as a whole, so
	// readers never lock.
	rates   atomic.Pointer[map[string]float64]
	buckets *bucketSet
}

// challengeClass is the bucket class of the challenge allowance.
const challengeClass = "UserAuthentication challenge responses"

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
	rates := map[string]float64{}
	for _, q := range quotas {
		rates[string(q.category)] = q.rate * scale
	}
	for _, cat := range slices.Sorted(maps.Keys(c.Rates)) {
		r := c.Rates[cat]
		if !Known(cat) {
			return nil, fmt.Errorf("rate of %q: not a quota category", cat)
		}
		if !(r > 0) || math.IsInf(r, 0) {
			return nil, fmt.Errorf("rate of %s: %v: must be a positive number", cat, r)
		}
		rates[string(cat)] = r
	}
	rates[challengeClass] = ChallengeMultiple * rates[string(UserAuthentication)]
	l := &Limiter{}
	l.rates.Store(&rates)
	l.buckets = newBucketSet(c.MaxKeys, c.Clock, func(class string) (rate, burst float64) {
		r := (*l.rates.Load())[class]
		return r, max(r, 1)
	})
	return l, nil
}

// Provision sets the rate of the categories in rates, in requests per
// second, in place of their configured rates: the provisioned limits that
// UpdateProvisionedLimit sets. A category left out keeps its rate. It
// refuses an unknown category and a rate that is not positive and finite,
// and changes nothing then. On a Limiter that is off it does nothing: the
// provisioned limits apply when the quotas are on.
func (l *Limiter) Provision(rates map[Category]float64) error {
	for _, c := range slices.Sorted(maps.Keys(rates)) {
		if r := rates[c]; !Known(c) || !(r > 0) || math.IsInf(r, 0) {
			return fmt.Errorf("provisioned rate of %q: %v: not a quota category and positive rate", c, r)
		}
	}
	if l.disabled {
		return nil
	}
	for {
		old := l.rates.Load()
		next := maps.Clone(*old)
		for c, r := range rates {
			next[string(c)] = r
		}
		next[challengeClass] = ChallengeMultiple * next[string(UserAuthentication)]
		if l.rates.CompareAndSwap(old, &next) {
			return nil
		}
	}
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
	return (*l.rates.Load())[string(c)]
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
func (l *Limiter) take(classes []string, key string) bool { return l.buckets.take(classes, key) }

// size returns how many buckets l holds; for tests.
func (l *Limiter) size() int { return l.buckets.size() }
