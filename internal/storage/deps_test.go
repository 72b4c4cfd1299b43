package storage

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps keeps storage a leaf under the engines: inside cognate it may
// import only internal/cognito.
func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/cognito"},
		map[string]string{
			"internal/cognito/idp":      "records are storage's own types; the wire shapes are the engines' business",
			"internal/cognito/identity": "records are storage's own types; the wire shapes are the engines' business",
			"internal/storage/":         "the interface never knows its backends or its conformance suite",
			"internal/seal":             "engines seal what they store; storage keeps bytes",
			"internal/api":              "storage must not know the API edge or HTTP errors",
			"internal/oidc":             "storage must not know the OIDC edge",
			"internal/admin":            "storage must not know the admin console",
			"internal/console":          "storage must not know the admin console",
			"internal/userpool":         "engines depend on storage, not the reverse",
			"internal/directory":        "engines depend on storage, not the reverse",
			"internal/authflow":         "engines depend on storage, not the reverse",
			"internal/identitypool":     "engines depend on storage, not the reverse",
			"internal/federation":       "engines depend on storage, not the reverse",
			"internal/replication":      "replication reads the store, not the reverse",
			"internal/tokens":           "storage is below tokens",
			"internal/messaging":        "storage is below messaging",
			"internal/triggers":         "storage is below triggers",
			"internal/config":           "stores take Options; config wiring is cmd/cognate's",
			"testing":                   "only _test.go files (and storagetest) import testing",
		})
}
