package authflow

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/cognito/...", "internal/storage", "internal/tokens", "internal/messaging", "internal/triggers", "internal/encsdk", "internal/userpool", "internal/directory", "internal/federation", "internal/seal", "internal/srp", "internal/password", "internal/ratelimit", "internal/mfa", "internal/geoip"},
		map[string]string{
			"internal/storage/": "engines use the Store interface; only cmd/cognate picks a backend",
			"internal/api":      "engines never import an edge",
			"internal/oidc":     "engines never import an edge",
			"internal/admin":    "engines never import an edge",
			"internal/console":  "engines never import an edge",
			"testing":           "only _test.go files import testing",
		})
}
