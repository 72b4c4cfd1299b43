package api

import (
	"context"
	"net/netip"
	"regexp"
	"sync"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// rateExceededMessage is the message Cognito sends with
// TooManyRequestsException when a request is over a rate.
const rateExceededMessage = "Rate exceeded"

// maxClientPools bounds the app client → user pool cache.
const maxClientPools = 1 << 14

// poolIDPattern is the model's pattern for a UserPoolId, with its length
// limit checked apart.
var poolIDPattern = regexp.MustCompile(`^[\w-]+_[0-9a-zA-Z]+$`)

// throttle applies the emulation of Cognito's per-category quotas (off
// unless configured) to a user-pool request whose caller is known: it runs
// after the signature or the access token is verified, so that a request
// nobody authenticated never spends an authenticated caller's quota.
func (h *Handler) throttle(ctx context.Context, op operation, in cognito.Input, caller cognito.Caller) error {
	if op.scopeService != serviceIDP || !h.limits.Enabled() {
		return nil
	}
	if _, ok := ratelimit.CategoryOf(op.Name); !ok {
		return nil
	}
	if h.limits.Allow(op.Name, h.quotaKey(ctx, op, in, caller)) {
		return nil
	}
	return cognito.TooManyRequestsException(rateExceededMessage)
}

// quotaKey names the bucket an authenticated request counts against:
//
//   - an IAM-authorized request, the access key whose signature was
//     verified and the user pool it addresses (its UserPoolId member, or the
//     region of its signature when it names no pool, as CreateUserPool and
//     ListUserPools do);
//   - an access-token request, the pool of the verified token;
//   - an unauthenticated request (InitiateAuth, SignUp, …), the pool of its
//     app client, as in Cognito, where anyone who can reach the API can
//     spend those categories.
func (h *Handler) quotaKey(ctx context.Context, op operation, in cognito.Input, caller cognito.Caller) string {
	switch {
	case op.Auth == cognito.AuthIAM:
		scope := "region:" + caller.Region
		if id := op.members.userPoolID(in); validPoolID(id) {
			scope = id
		}
		return "key:" + caller.AccessKeyID + " " + scope
	case caller.Access != nil:
		return caller.Access.PoolID
	}
	if id := op.members.userPoolID(in); validPoolID(id) {
		return id
	}
	return h.clientPools.poolOf(ctx, op.members.clientID(in))
}

// protected reports whether the protective limits apply to op: a
// user-pool operation that no signature authorizes, so that anyone may
// call it, except the reads an access token authorizes (GetUser,
// ListDevices, …), which cost little and which only the user's own token
// can make (a backend that serves many users may make many from one
// address).
func protected(op operation) bool {
	if op.scopeService != serviceIDP || op.Auth == cognito.AuthIAM {
		return false
	}
	if op.Auth == cognito.AuthAccessToken {
		c, _ := ratelimit.CategoryOf(op.Name)
		return c != ratelimit.UserRead && c != ratelimit.UserResourceRead
	}
	return true
}

// protectAddress applies the per-address limit to a protected operation,
// before anything else is done for it, and refuses one whose client
// already has as many password hashes and SRP computations waiting as it
// may (see password.Hasher.Busy): a flood beyond what the hashing
// serves costs no decoding and no store read.
func (h *Handler) protectAddress(ctx context.Context, op operation, addr netip.Addr) error {
	if !protected(op) {
		return nil
	}
	if !h.protect.AllowAddress(addr) {
		return cognito.TooManyRequestsException(rateExceededMessage)
	}
	if h.passwords == nil {
		return nil
	}
	return h.passwords.Busy(ctx)
}

// protectUser applies the per-user limit to a protected operation once
// its input is decoded: the user of a verified access token, or the user
// an unauthenticated request names (whether or not it exists, so that the
// answer tells nothing about that), in the pool of its app client.
func (h *Handler) protectUser(ctx context.Context, op operation, in cognito.Input, caller cognito.Caller) error {
	if !protected(op) {
		return nil
	}
	var scope, user string
	if caller.Access != nil {
		scope, user = caller.Access.PoolID, caller.Access.Username
	} else if user = op.members.username(in); user != "" {
		scope = h.clientPools.poolOf(ctx, op.members.clientID(in))
		if scope == "" {
			scope = "client:" + op.members.clientID(in)
		}
	}
	if h.protect.AllowUser(scope, user) {
		return nil
	}
	return cognito.TooManyRequestsException(rateExceededMessage)
}

func validPoolID(id string) bool {
	return len(id) <= 55 && poolIDPattern.MatchString(id) && cognito.RegionOfPoolID(id) != ""
}

// clientPools remembers which pool each app client belongs to, so that a
// request that names only a ClientId counts against its pool after one
// lookup. A client never moves to another pool and client IDs are not
// reused, so an entry never turns wrong; one arbitrary entry goes when the
// cache is full.
type clientPools struct {
	pools *userpool.Service

	// mu guards byClient.
	mu       sync.Mutex
	byClient map[string]string
}

// poolOf returns the pool of app client id, or "" when there is none.
func (c *clientPools) poolOf(ctx context.Context, id string) string {
	if id == "" || len(id) > 128 || c.pools == nil {
		return ""
	}
	c.mu.Lock()
	pool, ok := c.byClient[id]
	c.mu.Unlock()
	if ok {
		return pool
	}
	p, _, err := c.pools.SignInClient(ctx, cognito.Caller{}, "", id)
	if err != nil {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.byClient) >= maxClientPools {
		for k := range c.byClient {
			delete(c.byClient, k)
			break
		}
	}
	c.byClient[id] = p.ID
	return p.ID
}
