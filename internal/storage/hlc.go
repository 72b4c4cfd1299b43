package storage

import (
	"sync"
	"time"
)

// HLC is a hybrid logical clock. Now returns timestamps that strictly
// increase, follow the wall clock when it moves forward, and keep counting
// when it stands still or steps back.
type HLC struct {
	// Clock returns the wall-clock time; nil means time.Now.
	Clock func() time.Time

	// mu guards last.
	mu   sync.Mutex
	last int64
}

const hlcLogicalBits = 16

// Now returns the next timestamp.
func (h *HLC) Now() int64 {
	now := time.Now
	if h.Clock != nil {
		now = h.Clock
	}
	phys := now().UnixMilli() << hlcLogicalBits
	h.mu.Lock()
	defer h.mu.Unlock()
	if phys > h.last {
		h.last = phys
	} else {
		h.last++
	}
	return h.last
}

// Observe advances the clock past ts, a timestamp seen in stored data or
// received from another region, so that later timestamps sort after it.
func (h *HLC) Observe(ts int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ts > h.last {
		h.last = ts
	}
}

// HLCTime returns the wall-clock part of an HLC timestamp.
func HLCTime(ts int64) time.Time {
	return time.UnixMilli(ts >> hlcLogicalBits)
}

// HLCAt returns the least HLC timestamp of wall-clock time t: every
// timestamp Now returned at t or later is at least HLCAt(t).
func HLCAt(t time.Time) int64 {
	return t.UnixMilli() << hlcLogicalBits
}
