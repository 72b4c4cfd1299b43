package config

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps keeps config a leaf: it may import the standard library, the
// YAML decoder, internal/ratelimit (a leaf, for its quota categories) and
// (should it need Cognito's vocabulary) internal/cognito, never a package
// that would make the configuration depend on the code it configures.
func TestDeps(t *testing.T) {
	deptest.Check(t, []string{"internal/cognito", "internal/ratelimit", "internal/weborigin"}, map[string]string{
		"internal/storage": "config names the database; opening it belongs to cmd/cognate and the backends",
		"internal/server":  "cmd/cognate maps the configuration onto server.Options",
		"internal/api":     "cmd/cognate maps the configuration onto api.Options",
		"net/http":         "config describes settings; serving HTTP belongs to internal/server",
		"testing":          "only _test.go files import testing",
	})
}
