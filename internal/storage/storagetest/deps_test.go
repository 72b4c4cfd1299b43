package storagetest

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps keeps the conformance suite on the storage contract alone: inside
// cognate it may import only internal/storage and internal/cognito. It is
// the one non-test package that imports testing, so testing is not
// forbidden here.
func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/storage", "internal/cognito"},
		map[string]string{
			"internal/storage/sqlite":   "the suite tests every backend through the interface, so it knows none of them",
			"internal/storage/postgres": "the suite tests every backend through the interface, so it knows none of them",
			"internal/api":              "the suite tests storage, never an edge",
			"internal/oidc":             "the suite tests storage, never an edge",
			"internal/admin":            "the suite tests storage, never an edge",
			"internal/userpool":         "the suite tests the storage contract, not an engine's records",
			"internal/directory":        "the suite tests the storage contract, not an engine's records",
			"internal/authflow":         "the suite tests the storage contract, not an engine's records",
			"internal/tokens":           "the suite tests the storage contract, not an engine's records",
			"internal/messaging":        "the suite tests the storage contract, not an engine's records",
			"internal/config":           "backend tests open stores with Options, not configuration",
		})
}
