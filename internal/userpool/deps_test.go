package userpool

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/cognito/...", "internal/storage", "internal/seal", "internal/tokens", "internal/messaging", "internal/triggers", "internal/encsdk", "internal/ratelimit"},
		map[string]string{
			"internal/directory":    "the directory reads the pool configuration, not the reverse",
			"internal/storage/":     "engines use the Store interface; only cmd/cognate picks a backend",
			"internal/api":          "engines never import an edge",
			"internal/oidc":         "engines never import an edge",
			"internal/admin":        "engines never import an edge",
			"internal/console":      "engines never import an edge",
			"internal/authflow":     "authflow builds on userpool, not the reverse",
			"internal/identitypool": "identity pools build on userpool, not the reverse",
			"testing":               "only _test.go files import testing",
		})
}
