package userpool

import (
	"bytes"
	"context"
	"sync"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// maxDecoded bounds the decoded records a decodeCache keeps. One arbitrary
// entry goes when it is full; a record whose entry went is decoded again
// on its next read.
const maxDecoded = 1024

// decodeCache keeps, for each record of one kind (pools, app clients), the
// value last decoded and the stored bytes it came from. Decoding JSON (a
// pool's schema attributes, a client's settings) is most of what reading
// such a record costs, every request reads its pool and many their app
// client, and both rarely change. A read still fetches the record each
// time, so a deleted, moved or changed record is seen at once; only when
// the stored bytes equal the cached ones is the decoding skipped. The
// values are shared between requests and must never be modified. The zero
// value is ready to use.
type decodeCache[T any] struct {
	// mu guards byID.
	mu   sync.Mutex
	byID map[string]*decoded[T]
}

// decoded is one record's stored bytes and their decoded value.
type decoded[T any] struct {
	data []byte
	v    *T
}

// decode returns the value of record id, whose stored bytes are data:
// the cached one when data has not changed, else what decode returns
// (cached unless it fails).
func (c *decodeCache[T]) decode(id string, data []byte, decode func() (*T, error)) (*T, error) {
	c.mu.Lock()
	d := c.byID[id]
	c.mu.Unlock()
	if d != nil && bytes.Equal(d.data, data) {
		return d.v, nil
	}
	v, err := decode()
	if err != nil {
		return nil, err
	}
	d = &decoded[T]{data: bytes.Clone(data), v: v}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID == nil {
		c.byID = map[string]*decoded[T]{}
	}
	if _, ok := c.byID[id]; !ok && len(c.byID) >= maxDecoded {
		for k := range c.byID {
			delete(c.byID, k)
			break
		}
	}
	c.byID[id] = d
	return v, nil
}

// readPool is loadPool for operations that only read the pool's
// configuration: the same checks and errors, but the pool it returns is
// shared with other requests (decodeCache) and must not be modified. An
// operation that changes the pool, or passes it to code that might, uses
// loadPool.
func (s *Service) readPool(ctx context.Context, c cognito.Caller, id string) (*idp.UserPoolType, error) {
	rec, err := poolRecord(ctx, s.store, c, id)
	if err != nil {
		return nil, err
	}
	return s.decodedPools.decode(id, rec.Config, func() (*idp.UserPoolType, error) { return decodePool(rec) })
}

// readPoolMFA is readPool with the pool's MFA settings (poolMFAMember),
// both shared with other requests: never modify them.
func (s *Service) readPoolMFA(ctx context.Context, c cognito.Caller, id string) (*idp.UserPoolType, *poolMFA, error) {
	rec, err := poolRecord(ctx, s.store, c, id)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.decodedPools.decode(id, rec.Config, func() (*idp.UserPoolType, error) { return decodePool(rec) })
	if err != nil {
		return nil, nil, err
	}
	m, err := s.decodedPoolMFA.decode(id, rec.Config, func() (*poolMFA, error) { return decodePoolMFA(rec.Config) })
	if err != nil {
		return nil, nil, err
	}
	return p, m, nil
}

// readClient is clientByID on the store for operations that only read the
// app client: the same checks and errors, but the record it returns is
// shared with other requests (decodeCache) and must not be modified.
func (s *Service) readClient(ctx context.Context, c cognito.Caller, id string) (*storage.Item, *clientRecord, error) {
	it, err := clientItemByID(ctx, s.store, c, id)
	if err != nil {
		return nil, nil, err
	}
	rec, err := s.decodedClients.decode(id, it.Data, func() (*clientRecord, error) { return s.decodeClient(it) })
	return it, rec, err
}

// LoadPool returns the configuration of pool id, decoded afresh for the
// caller alone: the directory's operations take it from here. An
// operation that only reads it uses ReadPool.
func (s *Service) LoadPool(ctx context.Context, c cognito.Caller, id string) (*idp.UserPoolType, error) {
	_, p, err := s.loadPool(ctx, c, id)
	return p, err
}

// ReadPool is LoadPool for operations that only read the pool's
// configuration: the pool it returns is shared with other requests and
// must not be modified.
func (s *Service) ReadPool(ctx context.Context, c cognito.Caller, id string) (*idp.UserPoolType, error) {
	return s.readPool(ctx, c, id)
}

// ReadClient returns the app client id as the caller's region sees it, or
// ResourceNotFoundException; the record under it is shared with other
// requests.
func (s *Service) ReadClient(ctx context.Context, c cognito.Caller, id string) (*SignInClient, error) {
	_, rec, err := s.readClient(ctx, c, id)
	if err != nil {
		return nil, err
	}
	return signInClient(rec), nil
}
