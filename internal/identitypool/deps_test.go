package identitypool

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/cognito/...", "internal/storage", "internal/seal", "internal/srp", "internal/mfa", "internal/password", "internal/tokens", "internal/messaging", "internal/triggers", "internal/encsdk", "internal/ratelimit", "internal/userpool", "internal/directory", "internal/federation", "internal/sts"},
		map[string]string{
			"internal/storage/": "engines use the Store interface; only cmd/cognate picks a backend",
			"internal/api":      "engines never import an edge",
			"internal/oidc":     "engines never import an edge",
			"internal/admin":    "engines never import an edge",
			"internal/console":  "engines never import an edge",
			"internal/authflow": "the revocation check arrives through the TokenChecker port",
			"testing":           "only _test.go files import testing",
		})
}
