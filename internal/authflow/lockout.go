package authflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/storage"
)

// Password lockout as Cognito documents it: after the fifth failed attempt
// in a row the user is locked out for one second, and after the n-th
// (n >= 5) for 2^(n-5) seconds, at most 15 minutes. Attempts refused during
// a lockout ("Password attempts exceeded") do not count. A successful
// sign-in starts the count again.
const (
	lockoutFailures     = 5
	maxPasswordLockout  = 15 * time.Minute
	msgPasswordAttempts = "Password attempts exceeded"
)

// lockoutRecord is a user's failed-attempt counter (kind auth_session, ID
// "<pool>/lockout/<sub>"). JSON names are part of the stored format.
type lockoutRecord struct {
	// Failures counts attempts since the last success, the one under way
	// included: an attempt is counted before its password is checked.
	Failures int `json:"failures"`
	// LockedUntil is when the next attempt may be checked.
	LockedUntil time.Time `json:"locked_until,omitzero"`
}

func lockoutID(pool, sub string) string { return pool + "/lockout/" + sub }

// lockoutDelay is how long a user waits after the n-th failure in a row.
func lockoutDelay(n int) time.Duration {
	if n < lockoutFailures {
		return 0
	}
	shift := n - lockoutFailures
	if shift >= 10 { // 2^10 s is past the cap
		return maxPasswordLockout
	}
	return min(time.Duration(1<<shift)*time.Second, maxPasswordLockout)
}

// passwordAttempt is an attempt beginPasswordAttempt counted: the user's
// counter and the version the count left it at. A right password takes the
// count back with clear, inside the transaction that acts on the sign-in
// (the one that creates the token family, or opens the next challenge), or
// with clearNow where there is none. Until then the attempt counts as a
// failure, and it stays one if that transaction fails.
type passwordAttempt struct {
	pool, sub string
	version   int64
}

// beginPasswordAttempt is called before a password (or SRP proof) of the
// user sub is checked. It refuses while the user is locked out; otherwise
// it counts the attempt as a failure, atomically (the counter's row is
// locked, and its version checked), and sets the lockout the count earns.
// So no matter how many attempts run at once, across every server sharing
// the store, at most lockoutFailures get past it before the lockout holds,
// and only those compute a hash.
//
// When st is not nil, the same transaction first uses st up (useFlow):
// the state answers once whether the attempt is counted or refused by the
// lockout, and a state used already is refused before anything is
// counted.
func (s *Service) beginPasswordAttempt(ctx context.Context, pool, sub string, st *flowState) (*passwordAttempt, error) {
	id := lockoutID(pool, sub)
	var (
		locked  bool
		version int64
	)
	err := s.runTx(ctx, func(tx storage.Tx) error {
		locked, version = false, 0
		if st != nil {
			if err := s.useFlow(ctx, tx, st); err != nil {
				return err
			}
		}
		now := s.now()
		var rec lockoutRecord
		it, err := tx.GetItem(ctx, kindAuthSession, id)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			it = nil
		case err != nil:
			return fmt.Errorf("get lockout: %w", err)
		default:
			if err := json.Unmarshal(it.Data, &rec); err != nil {
				return fmt.Errorf("decode lockout %q: %w", id, err)
			}
		}
		if now.Before(rec.LockedUntil) {
			// Refused without counting; only the use of st commits.
			locked = true
			return nil
		}
		rec.Failures++
		if d := lockoutDelay(rec.Failures); d > 0 {
			rec.LockedUntil = now.Add(d)
		}
		data, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if it == nil {
			it = &storage.Item{Kind: kindAuthSession, ID: id, Pool: pool, Data: data, CreatedAt: now, UpdatedAt: now}
			err := tx.CreateItem(ctx, it)
			if errors.Is(err, storage.ErrAlreadyExists) {
				// Another attempt created the counter after this one looked.
				return errRetry
			}
			if err != nil {
				return err
			}
		} else {
			it.Data, it.UpdatedAt = data, now
			if err := tx.UpdateItem(ctx, it); err != nil {
				return err
			}
		}
		version = it.Version
		return nil
	})
	if err != nil {
		return nil, err
	}
	if locked {
		return nil, cognito.NotAuthorizedException(msgPasswordAttempts)
	}
	return &passwordAttempt{pool: pool, sub: sub, version: version}, nil
}

// clear takes the attempt back inside tx: it deletes the user's failure
// count after a right password. The counter is usually as the attempt left
// it, so it is deleted at that version without reading it first; when
// another attempt has counted since, it is read and deleted as it stands.
func (a *passwordAttempt) clear(ctx context.Context, tx storage.Tx) error {
	id := lockoutID(a.pool, a.sub)
	err := tx.DeleteItem(ctx, kindAuthSession, id, a.version)
	if errors.Is(err, storage.ErrConflict) {
		var it *storage.Item
		if it, err = tx.GetItem(ctx, kindAuthSession, id); err == nil {
			err = tx.DeleteItem(ctx, kindAuthSession, id, it.Version)
		}
	}
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("clear lockout: %w", err)
	}
	return nil
}

// clearNow takes the attempt back in a transaction of its own, for a right
// password that leads to neither tokens nor a new challenge (a user that
// is disabled, unconfirmed or must reset the password).
func (s *Service) clearNow(ctx context.Context, a *passwordAttempt) error {
	return s.runTx(ctx, func(tx storage.Tx) error { return a.clear(ctx, tx) })
}

// shadowPasswordAttempt runs a transaction like beginPasswordAttempt's for
// a user that does not exist, reading a counter no user has and writing
// nothing (but the use of st, when not nil), so that the answer for a
// missing user takes about as long as the one for a wrong password. It
// fails only when st cannot be used up; other failures are logged.
func (s *Service) shadowPasswordAttempt(ctx context.Context, pool string, st *flowState) error {
	err := s.runTx(ctx, func(tx storage.Tx) error {
		if st != nil {
			if err := s.useFlow(ctx, tx, st); err != nil {
				return err
			}
		}
		_, err := tx.GetItem(ctx, kindAuthSession, lockoutID(pool, "-"))
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil && st != nil {
		return err
	}
	if err != nil {
		s.log.Warn("shadow password attempt", "pool", pool, "err", err)
	}
	return nil
}
