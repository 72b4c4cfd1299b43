package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/cognate-dev/cognate/internal/cognito"
	"github.com/cognate-dev/cognate/internal/ratelimit"
	"github.com/cognate-dev/cognate/internal/userpool"
)

// rateExceededMessage is the message Cognito sends with
// TooManyRequestsException when a quota category is over its rate.
const rateExceededMessage = "Rate exceeded"

// maxClientPools bounds the app client → user pool cache.
const maxClientPools = 1 << 14

// poolIDPattern is the model's pattern for a UserPoolId, with its length
// limit checked apart.
var poolIDPattern = regexp.MustCompile(`^[\w-]+_[0-9a-zA-Z]+$`)

// throttle refuses a user-pool request beyond the rate of its quota
// category for the user pool it addresses. It runs before authorization,
// so that a flood is refused before any signature, token or password is
// checked; the pool is read from the request as sent (see limitKey).
func (h *Handler) throttle(ctx context.Context, r *http.Request, op operation, body []byte) error {
	if op.scopeService != serviceIDP || !h.limits.Enabled() {
		return nil
	}
	if _, ok := ratelimit.CategoryOf(op.Name); !ok {
		return nil
	}
	if h.limits.Allow(op.Name, h.limitKey(ctx, r, body)) {
		return nil
	}
	return cognito.TooManyRequestsException(rateExceededMessage)
}

// limitKey names the user pool a request counts against, without
// verifying anything: the UserPoolId member, the pool of a ResourceArn,
// the pool in the issuer of an AccessToken, or the pool of a ClientId.
// A request that names none (CreateUserPool, ListUserPools) counts against
// the region its signature is scoped to; one without even that shares the
// key "". A forged member can only spend the quota of the pool it names,
// which the same request with a real one could too.
func (h *Handler) limitKey(ctx context.Context, r *http.Request, body []byte) string {
	var m struct {
		UserPoolId, ResourceArn, AccessToken, ClientId string
	}
	_ = json.Unmarshal(body, &m)
	if validPoolID(m.UserPoolId) {
		return m.UserPoolId
	}
	if arn, ok := cognito.ParseARN(m.ResourceArn); ok {
		if id, ok := strings.CutPrefix(arn.Resource, "userpool/"); ok && validPoolID(id) {
			return id
		}
	}
	if id := poolOfToken(m.AccessToken); id != "" {
		return id
	}
	if id := h.clientPools.poolOf(ctx, m.ClientId); id != "" {
		return id
	}
	if a, err := parseSigV4Authorization(r.Header.Get("Authorization")); err == nil {
		if parts := strings.Split(a.credential, "/"); len(parts) == 5 && cognito.ValidRegion(parts[2]) {
			return "region:" + parts[2]
		}
	}
	return ""
}

func validPoolID(id string) bool {
	return len(id) <= 55 && poolIDPattern.MatchString(id) && cognito.RegionOfPoolID(id) != ""
}

// poolOfToken returns the pool ID at the end of a JWT's iss claim, read
// without verifying the token, or "".
func poolOfToken(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || len(parts[1]) > 8<<10 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return ""
	}
	var claims struct {
		Iss string `json:"iss"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	id := claims.Iss[strings.LastIndexByte(claims.Iss, '/')+1:]
	if !validPoolID(id) {
		return ""
	}
	return id
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
	p, _, err := c.pools.SignInClient(ctx, userpool.Caller{}, "", id)
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
