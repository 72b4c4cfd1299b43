package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/srp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// This file is for load-test data only (cognate bench --load-users). It
// builds user items that skip everything an API call does per user: the
// password policy, the argon2id hash (every user shares one precomputed
// hash), triggers and messages. Never call it for real users.

// TestUser is one synthetic user that TestUserItems builds: confirmed,
// enabled, with the given attributes and the shared test password.
type TestUser struct {
	Username   string
	Attributes map[string]string
	// WithSRPVerifier gives the user an SRP verifier for the test password
	// (one modular exponentiation each, about a millisecond).
	WithSRPVerifier bool
}

// TestUsers holds what TestUserItems shares between the users it builds.
type TestUsers struct {
	// Pool is the user pool the users go into.
	Pool *storage.UserPool
	// Password is every user's password, and PasswordHash its hash from
	// the hash of Password at the server's
	// parameters (password.Hasher.Hash), made once.
	Password, PasswordHash string
	// SRPVerifiers seals SRP verifiers (the server's Options.SRPVerifiers,
	// with the server's encryption key); nil makes none.
	SRPVerifiers *srp.Verifiers
	// Now is the users' creation time.
	Now time.Time
}

// TestUserItems returns the store items of users (test data, see above):
// records, unique keys and ListUsers index entries exactly as the engine
// writes them, ready for storage.Tx.CreateItem.
func (t TestUsers) TestUserItems(users []TestUser) ([]*storage.Item, error) {
	var p idp.UserPoolType
	if err := json.Unmarshal(t.Pool.Config, &p); err != nil {
		return nil, fmt.Errorf("decode user pool %q: %w", t.Pool.ID, err)
	}
	now := t.Now.UTC()
	items := make([]*storage.Item, 0, len(users))
	for _, tu := range users {
		attrs := make(map[string]string, len(tu.Attributes))
		for k, v := range tu.Attributes {
			attrs[k] = v
		}
		u := &userRecord{
			Username: tu.Username, Sub: newUserSub(), Attributes: attrs, Enabled: true,
			Status: idp.UserStatusTypeConfirmed, CreatedAt: now, UpdatedAt: now,
		}
		if len(p.UsernameAttributes) > 0 {
			u.Username = u.Sub
		}
		setPassword(policyOf(&p), u, t.PasswordHash, now)
		if tu.WithSRPVerifier && t.SRPVerifiers != nil {
			poolID := cognito.Deref(p.Id)
			v, err := srp.NewVerifier(srp.PoolName(poolID), u.Username, t.Password)
			if err != nil {
				return nil, fmt.Errorf("srp verifier of %q: %w", tu.Username, err)
			}
			if u.SRPVerifier, err = t.SRPVerifiers.Seal(poolID, u.Sub, v); err != nil {
				return nil, fmt.Errorf("srp verifier of %q: %w", tu.Username, err)
			}
		}
		it, err := userItem(&p, u, 0)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, nil
}

// CountUsers returns how many users pool holds, for a loader that goes on
// where an earlier load stopped.
func CountUsers(ctx context.Context, r storage.ItemReader, poolID string) (int64, error) {
	return r.CountItems(ctx, kindUser, poolID)
}
