package console

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/cognito/...", "internal/storage", "internal/userpool", "internal/directory", "internal/authflow", "internal/seal", "internal/srp", "internal/mfa", "internal/messaging", "internal/tokens", "internal/triggers", "internal/encsdk", "internal/ratelimit", "internal/password", "internal/federation", "internal/geoip", "internal/identitypool", "internal/sts", "internal/replication"},
		map[string]string{
			"internal/storage/": "the console reaches storage only through engines; cmd/cognate picks a backend",
			"internal/api":      "edges never import each other",
			"internal/oidc":     "edges never import each other",
			"internal/server":   "the server wraps the console, not the reverse",
			"internal/config":   "the console takes Options; cmd/cognate maps config onto them",
			"testing":           "only _test.go files import testing",
		})
}
