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
	// Failures counts attempts since the last success: a password's is
	// counted before the password is checked (the one under way included),
	// a wrong SRP proof's after the proof is checked.
	Failures int `json:"failures"`
	// LockedUntil is when the next attempt may be checked.
	LockedUntil time.Time `json:"locked_until,omitzero"`
}

func lockoutID(pool, sub string) string { return pool + "/lockout/" + sub }

// mfaLockoutID is the ID of a user's counter of wrong MFA codes, kept
// apart from the password's so that a right password, which takes its own
// count back, does not take back the wrong codes: the codes of a user
// whose password is known are guessed five at a time, then as the lockout
// lets them, however many sign-ins the guesser opens.
func mfaLockoutID(pool, sub string) string { return pool + "/mfa-lockout/" + sub }

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

// passwordAttempt is the attempt of a right secret, which the transaction
// that acts on the sign-in (the one that creates the token family, or
// opens the next challenge) settles first, or settleNow where there is
// none. It is one of two kinds:
//
//   - counted (a password): beginPasswordAttempt counted it as a failure
//     before the hash was computed, and left the counter at version;
//     settling takes the count back (clear). Until then it counts as a
//     failure, and it stays one if that transaction fails.
//   - checked first (an SRP proof, factor.checkFirst): nothing is written
//     yet, and st is the state the proof answered; settling uses st up and
//     decides on the user's counter in the same transaction (settle).
type passwordAttempt struct {
	pool, sub string
	version   int64
	// owner is the service that counted or checked the attempt.
	owner *Service

	// s and st are set for an attempt checked first: its state is not used
	// up yet.
	s  *Service
	st *flowState
	// locked reports that settling found the user locked out: the
	// transaction wrote nothing but the use of st, and the answer is
	// refusal's.
	locked bool
}

// beginPasswordAttempt is called before a password of the user sub is
// checked, or after an SRP proof of the user failed its check. It refuses
// while the user is locked out; otherwise it counts the attempt as a
// failure, atomically (the counter's row is locked, and its version
// checked), and sets the lockout the count earns. So no matter how many
// attempts run at once, across every server sharing the store, at most
// lockoutFailures get past it before the lockout holds: only those compute
// a hash, or learn that their proof was wrong.
//
// When st is not nil, the same transaction first uses st up (useFlow):
// the state answers once whether the attempt is counted or refused by the
// lockout, and a state used already is refused before anything is
// counted.
func (s *Service) beginPasswordAttempt(ctx context.Context, pool, sub string, st *flowState) (*passwordAttempt, error) {
	return s.countFailureOn(ctx, lockoutID(pool, sub), pool, sub, st)
}

// countFailureOn is beginPasswordAttempt on the counter item id: the
// password's (lockoutID) or the second factor's (mfaLockoutID).
func (s *Service) countFailureOn(ctx context.Context, id, pool, sub string, st *flowState) (*passwordAttempt, error) {
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
		// With replication, the other regions' failures count too
		// (lockout_share.go).
		others, othersUntil := 0, time.Time{}
		if s.region != "" {
			_, sh, err := readShare(ctx, tx, id)
			if err != nil {
				return err
			}
			others, othersUntil = sh.others(s.region)
			if it != nil && !it.UpdatedAt.After(sh.ResetAt) {
				// A right secret in another region took this count back.
				rec = lockoutRecord{}
			}
		}
		if now.Before(rec.LockedUntil) || now.Before(othersUntil) {
			// Refused without counting; only the use of st commits.
			locked = true
			return nil
		}
		rec.Failures++
		if d := lockoutDelay(rec.Failures + others); d > 0 {
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
			err := tx.UpdateItem(ctx, it)
			if errors.Is(err, storage.ErrNotFound) {
				// A right secret took the count back after this attempt
				// read it.
				return errRetry
			}
			if err != nil {
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
	return &passwordAttempt{pool: pool, sub: sub, version: version, owner: s}, nil
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
		err = nil
	}
	if err != nil {
		return fmt.Errorf("clear lockout: %w", err)
	}
	if a.owner == nil {
		return nil
	}
	return a.owner.resetShare(ctx, tx, id, a.pool)
}

// checkedAttempt is the attempt of a right SRP proof of the user sub,
// checked before anything was written: settling it uses st up and decides
// on the user's lockout counter in the transaction that acts on the
// sign-in.
func (s *Service) checkedAttempt(pool, sub string, st *flowState) *passwordAttempt {
	return &passwordAttempt{pool: pool, sub: sub, s: s, st: st, owner: s}
}

// settle is the first thing the transaction that acts on a right secret
// does. A counted attempt is taken back (clear). An attempt checked first
// uses its state up and reads the user's counter: while the user is locked
// out, settle reports refused, and the caller writes nothing more in tx
// (only the use of the state commits) and answers refusal(); otherwise
// the counter is deleted at the version read. Serialized on the counter:
// a wrong attempt counted after the read changes the version (its update
// locks the row), so the delete conflicts and runTx runs the transaction
// again, which then sees the count; SQLite runs one writer at a time.
// So no right proof passes once the counter has locked the user out,
// however many answers run at once.
func (a *passwordAttempt) settle(ctx context.Context, tx storage.Tx) (refused bool, err error) {
	if a == nil {
		return false, nil
	}
	if a.s == nil {
		return false, a.clear(ctx, tx)
	}
	a.locked = false
	if err := a.s.useFlow(ctx, tx, a.st); err != nil {
		return false, err
	}
	id := lockoutID(a.pool, a.sub)
	othersUntil := time.Time{}
	if a.s.region != "" {
		_, sh, err := readShare(ctx, tx, id)
		if err != nil {
			return false, err
		}
		_, othersUntil = sh.others(a.s.region)
	}
	if a.s.now().Before(othersUntil) {
		// Locked out by the failures of other regions.
		a.locked = true
		return true, nil
	}
	it, err := tx.GetItem(ctx, kindAuthSession, id)
	if errors.Is(err, storage.ErrNotFound) {
		return false, a.s.resetShare(ctx, tx, id, a.pool)
	}
	if err != nil {
		return false, fmt.Errorf("get lockout: %w", err)
	}
	var rec lockoutRecord
	if err := json.Unmarshal(it.Data, &rec); err != nil {
		return false, fmt.Errorf("decode lockout %q: %w", id, err)
	}
	if a.s.now().Before(rec.LockedUntil) {
		a.locked = true
		return true, nil
	}
	err = tx.DeleteItem(ctx, kindAuthSession, id, it.Version)
	if errors.Is(err, storage.ErrNotFound) {
		// Another right secret took the count back first.
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("clear lockout: %w", err)
	}
	return false, a.s.resetShare(ctx, tx, id, a.pool)
}

// refusal is the answer to an attempt settling found locked out, nil
// otherwise.
func (a *passwordAttempt) refusal() error {
	if a != nil && a.locked {
		return cognito.NotAuthorizedException(msgPasswordAttempts)
	}
	return nil
}

// settleNow settles the attempt in a transaction of its own, for a right
// secret that leads to neither tokens nor a new challenge (a user that is
// disabled, unconfirmed or must reset the password); it returns the
// refusal of a user locked out.
func (s *Service) settleNow(ctx context.Context, a *passwordAttempt) error {
	if err := s.runTx(ctx, func(tx storage.Tx) error {
		_, err := a.settle(ctx, tx)
		return err
	}); err != nil {
		return err
	}
	return a.refusal()
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
			err = nil
		}
		if err == nil && s.region != "" {
			// As a user's attempt reads its share.
			_, _, err = readShare(ctx, tx, lockoutID(pool, "-"))
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
