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

// beginPasswordAttempt is called before a password (or SRP proof) of the
// user sub is checked. It refuses while the user is locked out; otherwise
// it counts the attempt as a failure, atomically (the counter's row is
// locked, and its version checked), and sets the lockout the count earns.
// So no matter how many attempts run at once, at most lockoutFailures get
// past it before the lockout holds, and only those compute a hash.
// passwordSucceeded takes the count back.
func (s *Service) beginPasswordAttempt(ctx context.Context, pool, sub string) error {
	id := lockoutID(pool, sub)
	return s.runTx(ctx, func(tx storage.Tx) error {
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
			return cognito.NotAuthorizedException(msgPasswordAttempts)
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
			err := tx.CreateItem(ctx, &storage.Item{Kind: kindAuthSession, ID: id, Pool: pool, Data: data, CreatedAt: now, UpdatedAt: now})
			if errors.Is(err, storage.ErrAlreadyExists) {
				// Another attempt created the counter after this one looked.
				return errRetry
			}
			return err
		}
		it.Data, it.UpdatedAt = data, now
		return tx.UpdateItem(ctx, it)
	})
}

// passwordSucceeded clears the user's failure count after a correct
// password.
func (s *Service) passwordSucceeded(ctx context.Context, pool, sub string) error {
	return s.runTx(ctx, func(tx storage.Tx) error {
		it, err := tx.GetItem(ctx, kindAuthSession, lockoutID(pool, sub))
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("get lockout: %w", err)
		}
		return tx.DeleteItem(ctx, kindAuthSession, it.ID, it.Version)
	})
}

// shadowPasswordAttempt runs a transaction like beginPasswordAttempt's for
// a user that does not exist, reading a counter no user has and writing
// nothing, so that the answer for a missing user takes about as long as
// the one for a wrong password.
func (s *Service) shadowPasswordAttempt(ctx context.Context, pool string) {
	err := s.runTx(ctx, func(tx storage.Tx) error {
		_, err := tx.GetItem(ctx, kindAuthSession, lockoutID(pool, "-"))
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		s.log.Warn("shadow password attempt", "pool", pool, "err", err)
	}
}
