package userpool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/cognate-dev/cognate/internal/cognito/idp"
	"github.com/cognate-dev/cognate/internal/storage"
)

// maxDecodedPools bounds the decoded pool configurations a Service keeps.
// One arbitrary entry goes when it is full; a pool whose entry went is
// decoded again on its next read.
const maxDecodedPools = 1024

// poolConfigs keeps, for each pool, the configuration last decoded and the
// stored bytes it came from. Decoding a pool's JSON (its schema attributes
// above all) is most of what reading a pool costs, and every request reads
// its pool, while pools rarely change. A read still fetches the pool's
// record each time, so a deleted, moved or changed pool is seen at once;
// only when the stored bytes equal the cached ones is the decoding skipped.
// The zero value is ready to use.
type poolConfigs struct {
	// mu guards byID.
	mu   sync.Mutex
	byID map[string]*decodedPool
}

// decodedPool is one pool's stored configuration and its decoded form,
// which every reader shares and none may modify.
type decodedPool struct {
	config []byte
	p      *idp.UserPoolType
}

// decode returns the decoded form of pool id's stored configuration config,
// shared and read-only.
func (c *poolConfigs) decode(id string, config []byte) (*idp.UserPoolType, error) {
	c.mu.Lock()
	d := c.byID[id]
	c.mu.Unlock()
	if d != nil && bytes.Equal(d.config, config) {
		return d.p, nil
	}
	var p idp.UserPoolType
	if err := json.Unmarshal(config, &p); err != nil {
		return nil, err
	}
	d = &decodedPool{config: bytes.Clone(config), p: &p}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID == nil {
		c.byID = map[string]*decodedPool{}
	}
	if _, ok := c.byID[id]; !ok && len(c.byID) >= maxDecodedPools {
		for k := range c.byID {
			delete(c.byID, k)
			break
		}
	}
	c.byID[id] = d
	return d.p, nil
}

// readPool is loadPool for operations that only read the pool's
// configuration: the same checks and errors, but the pool it returns is
// shared with other requests (poolConfigs) and must not be modified. An
// operation that changes the pool, or passes it to code that might, uses
// loadPool.
func (s *Service) readPool(ctx context.Context, c Caller, id string) (*idp.UserPoolType, error) {
	rec, err := s.store.GetUserPool(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, poolNotFound(id)
	}
	if err != nil {
		return nil, internal(fmt.Errorf("get user pool %q: %w", id, err))
	}
	if rec.Region != c.Region {
		return nil, poolNotFound(id)
	}
	p, err := s.poolConfigs.decode(id, rec.Config)
	if err != nil {
		return nil, internal(fmt.Errorf("decode user pool %q: %w", id, err))
	}
	return p, nil
}
