package oidc

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{
			"internal/cognito/...", "internal/seal", "internal/srp", "internal/mfa", "internal/password", "internal/storage", "internal/tokens", "internal/messaging", "internal/triggers", "internal/encsdk",
			"internal/userpool", "internal/directory", "internal/authflow", "internal/federation", "internal/identitypool", "internal/ratelimit", "internal/sts", "internal/geoip",
		},
		map[string]string{
			"internal/storage/": "edges use the engines; only cmd/cognate picks a backend",
			"internal/api":      "edges never import each other",
			"internal/admin":    "edges never import each other",
			"internal/console":  "edges never import each other",
			"testing":           "only _test.go files import testing",
		})
}
