package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// kindTOTPStep is the item kind of the last time step a code of a user's
// software token was accepted for at sign-in (ID = the user's sub, Data a
// totpStepRecord). It is an item of its own, not a member of the user, so
// that a TOTP sign-in writes a few bytes and a change-log row of as many,
// instead of the whole user and its change-log row, and leaves the users
// cached by name (storage.DeclareCachedByKey) in the cache. It replicates,
// so that a code accepted in one region is refused in the others. The
// user's own TOTPStep (written when VerifySoftwareToken accepts a code, and
// by sign-ins before this kind existed) still counts: the last step used is
// the later of the two.
const kindTOTPStep = "totp_step"

func init() { storage.DeclareKind(kindTOTPStep, storage.Replicated) }

// totpStepRecord is the Data of a totp_step item. JSON names are part of
// the stored format.
type totpStepRecord struct {
	Step int64 `json:"step"`
}

// readTOTPStep returns the step a user's totp_step item holds through r,
// with the item (nil and 0 when there is none).
func readTOTPStep(ctx context.Context, r storage.ItemReader, sub string) (*storage.Item, int64, error) {
	it, err := r.GetItem(ctx, kindTOTPStep, sub)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("get TOTP step: %w", err)
	}
	var rec totpStepRecord
	if err := json.Unmarshal(it.Data, &rec); err != nil {
		return nil, 0, fmt.Errorf("decode TOTP step of %q: %w", sub, err)
	}
	return it, rec.Step, nil
}

// LastTOTPStep returns the last time step a code of the user u's software
// token was accepted for: a code of that step or an earlier one is not
// accepted again.
func (s *Service) LastTOTPStep(ctx context.Context, pool *userpool.SignInPool, u *SignInUser) (int64, error) {
	return s.LastTOTPStepIn(ctx, s.store, pool, u)
}

// TOTPStepRef names the item of the last step of the user sub's software
// token (LastTOTPStepIn), for a caller that reads it with other items in
// one store call (storage.GetItems).
func TOTPStepRef(sub string) storage.ItemRef { return storage.ItemRef{Kind: kindTOTPStep, ID: sub} }

// LastTOTPStepIn is LastTOTPStep reading through r: the store, or a reader
// holding items read together (TOTPStepRef).
func (s *Service) LastTOTPStepIn(ctx context.Context, r storage.ItemReader, pool *userpool.SignInPool, u *SignInUser) (int64, error) {
	it, step, err := readTOTPStep(ctx, r, u.Sub)
	if err != nil {
		return 0, err
	}
	if it != nil && it.Pool != pool.ID {
		return u.MFA.TOTPStep, nil
	}
	return max(step, u.MFA.TOTPStep), nil
}

// UseTOTPStep records, inside tx (the transaction that acts on a
// SOFTWARE_TOKEN_MFA answer), that a code of the user's software token
// was accepted for step, so that it is never accepted again. It refuses
// (CodeMismatchException) a step at or before the last one recorded:
// of two answers with one code, or two codes of one step, one wins (the
// loser's write conflicts, and its transaction runs again and finds the
// step used). It reads the user, which must still be there, and writes
// only the totp_step item.
func (s *Service) UseTOTPStep(ctx context.Context, tx storage.Tx, pool *userpool.SignInPool, sub string, step int64) error {
	_, u, err := userBySubIn(ctx, tx, pool.ID, sub)
	if err != nil {
		return err
	}
	it, last, err := readTOTPStep(ctx, tx, sub)
	if err != nil {
		return err
	}
	if max(last, u.TOTPStep) >= step {
		return cognito.CodeMismatchException("Invalid code received for user")
	}
	data, err := json.Marshal(totpStepRecord{Step: step})
	if err != nil {
		return err
	}
	now := s.now()
	if it == nil {
		err = tx.CreateItem(ctx, &storage.Item{Kind: kindTOTPStep, ID: sub, Pool: pool.ID, Data: data, CreatedAt: now, UpdatedAt: now})
		if errors.Is(err, storage.ErrAlreadyExists) {
			// Another answer recorded a step after this one looked.
			return fmt.Errorf("record TOTP step: %w", storage.ErrConflict)
		}
		return err
	}
	it.Data, it.UpdatedAt = data, now
	return tx.UpdateItem(ctx, it)
}

// deleteTOTPStep deletes, inside tx, the totp_step item of the user sub,
// if there is one.
func deleteTOTPStep(ctx context.Context, tx storage.Tx, sub string) error {
	it, _, err := readTOTPStep(ctx, tx, sub)
	if err != nil || it == nil {
		return err
	}
	if err := tx.DeleteItem(ctx, kindTOTPStep, sub, it.Version); err != nil {
		return fmt.Errorf("delete TOTP step: %w", err)
	}
	return nil
}

// TOTPStepItemKind is the kind of the last TOTP step of users' sign-ins,
// which replication merges with MergeTOTPStepReplicas.
const TOTPStepItemKind = kindTOTPStep

// MergeTOTPStepReplicas merges two states of one totp_step item that
// replication compares (internal/replication's MergeFunc): winner is the
// state the order of changes keeps, loser the other. The later step wins,
// so that a code used in one region is not accepted again in another
// whichever region's write the order of changes keeps. It returns a copy
// of winner with the loser's step when that is later, and whether it
// changed anything.
func MergeTOTPStepReplicas(winner, loser *storage.Item) (*storage.Item, bool, error) {
	var w, l totpStepRecord
	if err := json.Unmarshal(winner.Data, &w); err != nil {
		return nil, false, fmt.Errorf("decode TOTP step %q: %w", winner.ID, err)
	}
	if err := json.Unmarshal(loser.Data, &l); err != nil {
		return nil, false, fmt.Errorf("decode TOTP step %q: %w", loser.ID, err)
	}
	if l.Step <= w.Step {
		return nil, false, nil
	}
	out := *winner
	out.Data = loser.Data
	return &out, true, nil
}
