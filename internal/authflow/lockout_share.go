package authflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/cognate-dev/cognate/internal/storage"
)

// Lockout counters shared between regions (docs/regions.md). With
// replication on (Options.Region), each failure counter of a user (the
// password's, lockoutID, and the MFA codes', mfaLockoutID) has a replicated
// companion, its share (kind lockout_share, ID "<counter ID>/regions"),
// which holds one slot per region: the failures that region counted, the
// lockout they earned, and when it wrote them. A region counts its own
// failures on its local counter, as without replication, and adds the
// other regions' slots to decide: so a user who switches regions gets no
// more guesses than in one region, once the failures have replicated.
//
// A region writes only its own slot, after a failure is known (a wrong
// password, proof or code), so a right secret writes nothing more than
// without replication; a right secret in any region takes every count
// back by setting the share's reset time, which the slots and local
// counters written before it no longer count against. Two states of a
// share merge slot by slot, the later write of each slot winning, and the
// later reset time (MergeLockoutShareReplicas), so every region converges
// on the same counts whatever order the states arrive in.

// LockoutShareItemKind is the replicated kind of the shares.
const LockoutShareItemKind = "lockout_share"

func init() { storage.DeclareKind(LockoutShareItemKind, storage.Replicated) }

// lockoutShare is the data of a share. JSON names are part of the stored
// format.
type lockoutShare struct {
	// ResetAt is when a right secret last took the counts back, in any
	// region: slots and local counters written at or before it count zero.
	ResetAt time.Time `json:"reset_at,omitzero"`
	// Regions holds each region's slot, by region name.
	Regions map[string]lockoutSlot `json:"regions,omitempty"`
}

// lockoutSlot is one region's failures.
type lockoutSlot struct {
	Failures    int       `json:"failures"`
	LockedUntil time.Time `json:"locked_until,omitzero"`
	// At is when the region wrote the slot.
	At time.Time `json:"at"`
}

func shareID(counterID string) string { return counterID + "/regions" }

// readShare reads the share of the counter id; a missing share is the
// zero share, with a nil item.
func readShare(ctx context.Context, r storage.ItemReader, id string) (*storage.Item, lockoutShare, error) {
	var sh lockoutShare
	it, err := r.GetItem(ctx, LockoutShareItemKind, shareID(id))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, sh, nil
	}
	if err != nil {
		return nil, sh, fmt.Errorf("get lockout share: %w", err)
	}
	if err := json.Unmarshal(it.Data, &sh); err != nil {
		return nil, sh, fmt.Errorf("decode lockout share %q: %w", it.ID, err)
	}
	return it, sh, nil
}

// others returns what the slots of the regions other than region count:
// their failures since the reset, and the latest lockout they earned.
func (sh lockoutShare) others(region string) (failures int, lockedUntil time.Time) {
	for r, slot := range sh.Regions {
		if r == region || !slot.At.After(sh.ResetAt) {
			continue
		}
		failures += slot.Failures
		if slot.LockedUntil.After(lockedUntil) {
			lockedUntil = slot.LockedUntil
		}
	}
	return failures, lockedUntil
}

// counts reports whether any slot counts failures since the reset.
func (sh lockoutShare) counts() bool {
	for _, slot := range sh.Regions {
		if slot.Failures > 0 && slot.At.After(sh.ResetAt) {
			return true
		}
	}
	return false
}

// writeShare stores sh as the share of the counter id inside tx: it
// creates the item when it is nil.
func writeShare(ctx context.Context, tx storage.Tx, it *storage.Item, id, pool string, sh lockoutShare, now time.Time) error {
	data, err := json.Marshal(sh)
	if err != nil {
		return err
	}
	if it == nil {
		it = &storage.Item{Kind: LockoutShareItemKind, ID: shareID(id), Pool: pool, Data: data, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateItem(ctx, it); errors.Is(err, storage.ErrAlreadyExists) {
			return errRetry
		} else if err != nil {
			return fmt.Errorf("create lockout share: %w", err)
		}
		return nil
	}
	it.Data, it.UpdatedAt = data, now
	if err := tx.UpdateItem(ctx, it); errors.Is(err, storage.ErrNotFound) {
		return errRetry
	} else if err != nil {
		return fmt.Errorf("update lockout share: %w", err)
	}
	return nil
}

// shareFailure writes the local count of the counter id into this
// region's slot of its share, after a failure was counted on it. Without
// replication it does nothing. A failure to write is logged: the local
// counter holds the count, and the next failure writes it again.
func (s *Service) shareFailure(ctx context.Context, id, pool string) {
	if s.region == "" || ctx.Err() != nil {
		return
	}
	err := s.runTx(ctx, func(tx storage.Tx) error {
		lit, err := tx.GetItem(ctx, kindAuthSession, id)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("get lockout: %w", err)
		}
		var rec lockoutRecord
		if err := json.Unmarshal(lit.Data, &rec); err != nil {
			return fmt.Errorf("decode lockout %q: %w", id, err)
		}
		it, sh, err := readShare(ctx, tx, id)
		if err != nil {
			return err
		}
		now := s.now()
		if !lit.UpdatedAt.After(sh.ResetAt) {
			// A right secret elsewhere took this count back since.
			return nil
		}
		if sh.Regions == nil {
			sh.Regions = map[string]lockoutSlot{}
		}
		sh.Regions[s.region] = lockoutSlot{Failures: rec.Failures, LockedUntil: rec.LockedUntil, At: now}
		return writeShare(ctx, tx, it, id, pool, sh, now)
	})
	if err != nil {
		s.log.Warn("share a failed attempt with the other regions", "pool", pool, "error", err.Error())
	}
}

// resetShare takes every region's count of the counter id back inside tx,
// after a right secret, when its share counts any. Without replication it
// does nothing.
func (s *Service) resetShare(ctx context.Context, tx storage.Tx, id, pool string) error {
	if s.region == "" {
		return nil
	}
	it, sh, err := readShare(ctx, tx, id)
	if err != nil || it == nil || !sh.counts() {
		return err
	}
	now := s.now()
	sh.ResetAt = now
	sh.Regions[s.region] = lockoutSlot{At: now}
	return writeShare(ctx, tx, it, id, pool, sh, now)
}

// MergeLockoutShareReplicas merges two states of a lockout share
// (replication.MergeFunc): each region's slot is the later written of the
// two, and the reset time the later one. It is deterministic, so every
// region reaches the same share.
func MergeLockoutShareReplicas(winner, loser *storage.Item) (*storage.Item, bool, error) {
	var w, l lockoutShare
	if err := json.Unmarshal(winner.Data, &w); err != nil {
		return nil, false, fmt.Errorf("decode lockout share %q: %w", winner.ID, err)
	}
	if err := json.Unmarshal(loser.Data, &l); err != nil {
		return nil, false, fmt.Errorf("decode lockout share %q: %w", loser.ID, err)
	}
	changed := false
	if l.ResetAt.After(w.ResetAt) {
		w.ResetAt, changed = l.ResetAt, true
	}
	for _, r := range slices.Sorted(maps.Keys(l.Regions)) {
		ls := l.Regions[r]
		if ws, ok := w.Regions[r]; ok && !ls.At.After(ws.At) {
			continue
		}
		if w.Regions == nil {
			w.Regions = map[string]lockoutSlot{}
		}
		w.Regions[r], changed = ls, true
	}
	if !changed {
		return nil, false, nil
	}
	data, err := json.Marshal(w)
	if err != nil {
		return nil, false, err
	}
	if bytes.Equal(data, winner.Data) {
		return nil, false, nil
	}
	merged := *winner
	merged.Data = data
	if loser.UpdatedAt.After(merged.UpdatedAt) {
		merged.UpdatedAt = loser.UpdatedAt
	}
	return &merged, true, nil
}
