package directory

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/cognito/...", "internal/storage", "internal/userpool", "internal/seal", "internal/srp", "internal/tokens", "internal/messaging", "internal/triggers", "internal/encsdk", "internal/password", "internal/ratelimit"},
		map[string]string{
			"internal/storage/":     "engines use the Store interface; only cmd/cognate picks a backend",
			"internal/api":          "engines never import an edge",
			"internal/oidc":         "engines never import an edge",
			"internal/admin":        "engines never import an edge",
			"internal/console":      "engines never import an edge",
			"internal/authflow":     "authflow builds on the directory, not the reverse",
			"internal/identitypool": "identity pools build on the directory, not the reverse",
			"testing":               "only _test.go files import testing",
		})
}
