package directory

import (
	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// principal is the Principal NewPrincipal makes: the pool and the user as
// authenticating an access token read them. Both are shared with whoever
// holds the grant: read them, never change them.
type principal struct {
	// region is the region the pool was read for.
	region string
	pool   *idp.UserPoolType
	poolID string
	user   *userRecord
}

func (p *principal) PrincipalOf() (poolID, sub string) { return p.poolID, p.user.Sub }

// NewPrincipal returns the Principal of an access token whose pool and
// user the sign-in engine read as pool (userpool.SignInPool) and user (UserBySub),
// for cognito.AccessGrant.Principal: the self-service operations then take the
// pool from it, and GetUser, which changes nothing, the user too. Writes
// read the user again inside their transaction, as they must. It returns
// nil when user was not read by this service.
func NewPrincipal(pool *userpool.SignInPool, user *SignInUser) cognito.Principal {
	if pool == nil || pool.Config() == nil || user == nil || user.rec == nil {
		return nil
	}
	return &principal{region: pool.Region, pool: pool.Config(), poolID: pool.ID, user: user.rec}
}

// principalOf returns the principal c's access grant carries, when this
// service made it for the grant's own pool and user and for c's region;
// nil otherwise, and the caller reads the store.
func principalOf(c cognito.Caller) *principal {
	if c.Access == nil {
		return nil
	}
	p, ok := c.Access.Principal.(*principal)
	if !ok || p == nil || p.poolID != c.Access.PoolID || p.user.Sub != c.Access.Sub || p.region != c.Region {
		return nil
	}
	return p
}
