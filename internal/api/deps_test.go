package api

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/cognito/...", "internal/storage", "internal/userpool", "internal/directory", "internal/authflow", "internal/seal", "internal/srp", "internal/mfa", "internal/messaging", "internal/tokens", "internal/triggers", "internal/encsdk", "internal/ratelimit", "internal/weborigin", "internal/identitypool", "internal/sts", "internal/sts/local", "internal/password", "internal/federation", "internal/replication", "internal/geoip"},
		map[string]string{
			"internal/storage/": "the API edge reaches storage only through engines; cmd/cognate picks a backend",
			"internal/oidc":     "edges never import each other",
			"internal/admin":    "edges never import each other",
			"internal/console":  "edges never import each other",
			"internal/server":   "the server wraps the API, not the reverse",
			"internal/config":   "the API takes Options; cmd/cognate maps config onto them",
			"testing":           "only _test.go files import testing",
		})
}
