package cluster

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/storage", "internal/seal", "internal/cognito"},
		map[string]string{
			"internal/storage/":  "cluster uses the Settings interface; only cmd/cognate picks a backend",
			"internal/tokens":    "engines plug their re-sealers in as ItemResealer functions",
			"internal/userpool":  "engines plug their re-sealers in as ItemResealer functions",
			"internal/directory": "engines plug their re-sealers in as ItemResealer functions",
			"internal/authflow":  "engines plug their re-sealers in as ItemResealer functions",
			"internal/api":       "cluster never imports an edge",
			"internal/oidc":      "cluster never imports an edge",
			"testing":            "only _test.go files import testing",
		})
}
