package userpool

import (
	"context"
	"sync"

	"github.com/cognate-dev/cognate/internal/cognito/idp"
)

// accessReadsKey is the context key of an access-token request's memo.
type accessReadsKey struct{}

// accessReads is the memo WithAccessReads puts in a request's context: the
// pool and the user that authenticating the request's access token read.
type accessReads struct {
	// mu guards the fields below.
	mu sync.Mutex
	// pool is the pool poolID as read for a caller in region.
	poolID, region string
	pool           *idp.UserPoolType
	// user is the user sub of pool userPool.
	userPool, sub string
	user          *userRecord
}

// WithAccessReads returns a context for serving one request authorized by
// an access token (GetUser, UpdateUserAttributes, …). Under it the pool
// and the user that authenticating the token reads (SignInPool, UserBySub)
// are kept, and the operation the token authorizes takes them from there
// instead of reading them a second time: the pool for any self-service
// operation, the user only for GetUser, which changes nothing. Writes read
// the user again inside their transaction, as they must.
//
// The memo belongs to the context it is made for: the edge makes one for
// each request, so nothing read for one request ever answers another, and
// a context without one reads everything from the store.
func WithAccessReads(ctx context.Context) context.Context {
	return context.WithValue(ctx, accessReadsKey{}, &accessReads{})
}

func accessReadsOf(ctx context.Context) *accessReads {
	m, _ := ctx.Value(accessReadsKey{}).(*accessReads)
	return m
}

// keepPool records pool p, read as poolID for a caller in region.
func (m *accessReads) keepPool(poolID, region string, p *idp.UserPoolType) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.poolID, m.region, m.pool = poolID, region, p
}

// keepUser records u, read as a user of pool poolID.
func (m *accessReads) keepUser(poolID string, u *userRecord) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.userPool, m.sub, m.user = poolID, u.Sub, u
}

// poolFor returns the pool poolID as it was read for a caller in region,
// or nil when the memo holds no such read.
func (m *accessReads) poolFor(poolID, region string) *idp.UserPoolType {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pool == nil || m.poolID != poolID || m.region != region {
		return nil
	}
	return m.pool
}

// userFor returns the user sub of pool poolID as it was read, or nil when
// the memo holds no such read. The record is shared: read it, never
// change it.
func (m *accessReads) userFor(poolID, sub string) *userRecord {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.user == nil || m.userPool != poolID || m.sub != sub {
		return nil
	}
	return m.user
}
