package ratelimit

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps keeps ratelimit a leaf: the standard library only.
func TestDeps(t *testing.T) {
	deptest.Check(t, nil, map[string]string{
		"internal/cognito": "ratelimit names operations by string; the edge maps the refusal to TooManyRequestsException",
		"internal/api":     "the edge uses the limiter, not the reverse",
		"internal/config":  "config validates the categories it names against this package, not the reverse",
		"testing":          "only _test.go files import testing",
	})
}
