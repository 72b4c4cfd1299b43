package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/directory"
	"github.com/cognate-dev/cognate/internal/password"
	"github.com/cognate-dev/cognate/internal/srp"
	"github.com/cognate-dev/cognate/internal/storage"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// LoadBatch is how many users LoadUsers writes per transaction.
const LoadBatch = 1000

// LoadOptions configure LoadUsers.
type LoadOptions struct {
	// Store is the server's store, opened while no server writes to it.
	Store storage.Store
	// Region and AccountID are the server's, for a pool LoadUsers creates.
	Region, AccountID string
	// PoolID names the pool to fill; "" creates one named
	// cognate-bench-loaded-….
	PoolID string
	// Users is how many users the pool should hold: LoadUsers adds
	// UserName(n) … UserName(Users-1) to a pool that holds n.
	Users int
	// SRPVerifiers seals the SRP verifiers of the first SRPUsers users with
	// the server's key (srp.NewVerifiers); nil gives none, and
	// USER_SRP_AUTH then fails for them.
	SRPVerifiers *srp.Verifiers
	// PasswordHashing are the server's argon2id parameters, which the
	// users' shared hash gets; the zero value means
	// password.DefaultParams.
	PasswordHashing password.Params
	// Progress receives a live line; nil for none.
	Progress io.Writer
}

// LoadResult is what LoadUsers did.
type LoadResult struct {
	PoolID   string  `json:"pool_id"`
	Existing int     `json:"existing"`
	Created  int     `json:"created"`
	Seconds  float64 `json:"seconds"`
}

// LoadUsers is the bulk path to a pool of many users, for load tests only:
// it writes confirmed users UserName(i) with email UserEmail(i) and
// password Password straight into the store, LoadBatch per transaction,
// all sharing one argon2id hash made once (userpool.TestUserItems). It
// assumes the users already in the pool are UserName(0) … in order (an
// earlier LoadUsers or bench preload).
//
// Run it against the store of a stopped server, or one that is idle: it
// bypasses the engine's per-user checks, and a server's caches (none
// today) would not see the users.
func LoadUsers(ctx context.Context, opts LoadOptions) (LoadResult, error) {
	start := time.Now()
	if opts.Store == nil {
		return LoadResult{}, errors.New("no store")
	}
	if opts.Users < 1 {
		return LoadResult{}, fmt.Errorf("users: %d is not positive", opts.Users)
	}
	poolID := opts.PoolID
	if poolID == "" {
		svc := userpool.New(opts.Store, userpool.Options{AccountID: opts.AccountID})
		out, err := svc.CreateUserPool(ctx, cognito.Caller{Region: opts.Region}, &idp.CreateUserPoolRequest{
			PoolName: cognito.Ptr("cognate-bench-loaded-" + time.Now().UTC().Format("20060102-150405")),
		})
		if err != nil {
			return LoadResult{}, fmt.Errorf("create user pool: %w", err)
		}
		poolID = cognito.Deref(out.UserPool.Id)
	}
	pool, err := opts.Store.GetUserPool(ctx, poolID)
	if err != nil {
		return LoadResult{}, fmt.Errorf("user pool %s: %w", poolID, err)
	}
	existing, err := directory.CountUsers(ctx, opts.Store, poolID)
	if err != nil {
		return LoadResult{}, fmt.Errorf("count users: %w", err)
	}
	res := LoadResult{PoolID: poolID, Existing: int(existing)}
	hasher, err := password.New(password.Config{Params: opts.PasswordHashing})
	if err != nil {
		return res, fmt.Errorf("password hashing: %w", err)
	}
	hash, err := hasher.Hash(ctx, Password)
	if err != nil {
		return res, err
	}
	tu := directory.TestUsers{Pool: pool, Password: Password, PasswordHash: hash, SRPVerifiers: opts.SRPVerifiers, Now: time.Now()}
	p := newProgress(opts.Progress)
	defer p.done()
	batch := make([]directory.TestUser, 0, LoadBatch)
	for from := int(existing); from < opts.Users; from += LoadBatch {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		batch = batch[:0]
		for i := from; i < min(from+LoadBatch, opts.Users); i++ {
			batch = append(batch, directory.TestUser{
				Username:        UserName(i),
				Attributes:      map[string]string{"email": UserEmail(i), "email_verified": "true"},
				WithSRPVerifier: i < SRPUsers,
			})
		}
		items, err := tu.TestUserItems(batch)
		if err != nil {
			return res, err
		}
		err = opts.Store.Tx(ctx, func(tx storage.Tx) error {
			for _, it := range items {
				if err := tx.CreateItem(ctx, it); err != nil {
					return fmt.Errorf("create user %s: %w", it.ID, err)
				}
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("users %d to %d: %w", from, from+len(items)-1, err)
		}
		res.Created += len(items)
		done, el := res.Created, time.Since(start).Seconds()
		p.set(fmt.Sprintf("loading users into %s: %d/%d (%.0f/s)", poolID, res.Existing+done, opts.Users, float64(done)/el), nil)
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}
