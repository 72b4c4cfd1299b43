package authflow

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
)

// Expired items (flow markers nobody answered, expired refresh tokens, and
// token families whose refresh tokens have all expired) are swept by the
// requests that create new ones, but rarely: a request sweeps a kind only
// when no sweep of that kind is running in this process and the last one
// started at least sweepInterval ago, or found a full batch (a backlog,
// which the next requests then work off a batch at a time). A sweep is one
// index scan and, when something has expired, one transaction, so its cost
// on the request that runs it is bounded, and spread over a second of
// sign-ins it is next to nothing.
const (
	// sweepBatch is how many expired items one sweep removes at most.
	sweepBatch = 16
	// sweepInterval is how long after a sweep the next one of the same
	// kind waits, unless the last one found a full batch.
	sweepInterval = time.Second
)

// sweptKinds are the kinds whose items carry an expiring index entry, and
// sweepUseMarkers.
var sweptKinds = []string{kindAuthSession, kindTokenFamily, kindRefreshToken, sweepUseMarkers}

// sweepUseMarkers names, among sweptKinds, the sweep of the flow states'
// use markers (storage.Marker), which the store removes by their expiry
// in one statement (storage.MarkerSweeper).
const sweepUseMarkers = "use markers"

// sweeper paces the sweeps of one kind.
type sweeper struct {
	// mu guards the fields below.
	mu sync.Mutex
	// running is true while a sweep of the kind runs.
	running bool
	// last is when the last sweep started, by the service's clock.
	last time.Time
	// backlog is true when the last sweep found a full batch expired.
	backlog bool
}

func newSweepers() map[string]*sweeper {
	out := make(map[string]*sweeper, len(sweptKinds))
	for _, kind := range sweptKinds {
		out[kind] = &sweeper{}
	}
	return out
}

// due reports whether a sweep may start at now, and if so marks it
// running; the caller must call done when it ends. A clock that went back
// makes a sweep due rather than holding sweeps off until it catches up.
func (w *sweeper) due(now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.running || !(w.backlog || now.Sub(w.last) >= sweepInterval || now.Before(w.last)) {
		return false
	}
	w.running, w.last = true, now
	return true
}

// done ends the sweep due started; full says whether it found a full batch.
func (w *sweeper) done(full bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.running, w.backlog = false, full
}

// maybeSweep sweeps kind when a sweep of it is due (see sweeper). Failures
// are logged and otherwise ignored; a later sweep tries again.
func (s *Service) maybeSweep(ctx context.Context, kind string) {
	w := s.sweepers[kind]
	if w == nil || !w.due(s.clock()) {
		return
	}
	full, err := s.sweepExpired(ctx, kind)
	if err != nil {
		// Not a backlog: a failing store is not retried on every request.
		s.log.Warn("sweep expired items", "kind", kind, "err", err)
		full = false
	}
	w.done(full)
}

// sweepExpired removes up to sweepBatch items of kind whose expiring index
// entry lies in the past, in one transaction that reads each again and
// leaves it when it no longer has expired (a family a refresh extended
// meanwhile) or is gone. full reports that the scan found a whole batch
// expired, so more may be waiting. It runs whenever it is called: callers
// on the request path go through maybeSweep.
func (s *Service) sweepExpired(ctx context.Context, kind string) (full bool, err error) {
	if kind == sweepUseMarkers {
		n, err := s.store.SweepMarkers(ctx, s.now(), sweepBatch)
		if err != nil {
			return false, fmt.Errorf("sweep expired use markers: %w", err)
		}
		return n == sweepBatch, nil
	}
	limit := expiringKey(s.now())
	entries, err := s.store.ScanIndex(ctx, storage.ScanInput{Kind: kind, Prefix: expiringIndex, Limit: sweepBatch})
	if err != nil {
		return false, fmt.Errorf("scan expired %s: %w", kind, err)
	}
	expired := entries[:0]
	for _, e := range entries {
		if e.Key >= limit {
			break
		}
		expired = append(expired, e)
	}
	if len(expired) == 0 {
		return false, nil
	}
	err = s.runTx(ctx, func(tx storage.Tx) error {
		for _, e := range expired {
			it, err := tx.GetItem(ctx, kind, e.Item.ID)
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			if err != nil {
				return fmt.Errorf("get %s %q: %w", kind, e.Item.ID, err)
			}
			if !expiredBy(it, limit) {
				continue
			}
			if err := tx.DeleteItem(ctx, kind, it.ID, it.Version); err != nil {
				return fmt.Errorf("delete %s %q: %w", kind, it.ID, err)
			}
		}
		return nil
	})
	return len(expired) == sweepBatch, err
}

// expiredBy reports whether it carries an expiring index entry before
// limit.
func expiredBy(it *storage.Item, limit string) bool {
	for _, k := range it.Index {
		if strings.HasPrefix(k, expiringIndex) {
			return k < limit
		}
	}
	return false
}
