package sqlite

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps keeps the backend below the engines: it may import only
// internal/storage and internal/cognito.
func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/storage", "internal/cognito"},
		map[string]string{
			"internal/storage/postgres":    "backends are independent; only cmd/cognate picks one",
			"internal/storage/storagetest": "the conformance suite is for tests and imports testing",
			"internal/api":                 "storage must not know the API edge or HTTP errors",
			"internal/oidc":                "storage must not know the OIDC edge",
			"internal/admin":               "storage must not know the admin console",
			"internal/userpool":            "engines depend on storage, not the reverse",
			"internal/directory":           "engines depend on storage, not the reverse",
			"internal/authflow":            "engines depend on storage, not the reverse",
			"internal/identitypool":        "engines depend on storage, not the reverse",
			"internal/federation":          "engines depend on storage, not the reverse",
			"internal/replication":         "replication reads the store, not the reverse",
			"internal/tokens":              "storage is below tokens",
			"internal/messaging":           "storage is below messaging",
			"internal/triggers":            "storage is below triggers",
			"internal/config":              "backends take Options; config wiring is cmd/cognate's",
			"testing":                      "only _test.go files import testing",
		})
}
