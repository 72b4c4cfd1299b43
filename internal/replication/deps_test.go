package replication

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/storage", "internal/cognito", "internal/cognito/idp"},
		map[string]string{
			"internal/storage/":  "replication uses the Store and ReplicaTx interfaces; only cmd/cognate picks a backend",
			"internal/directory": "engines plug their merge functions in as MergeFunc values",
			"internal/userpool":  "engines plug their merge functions in as MergeFunc values",
			"internal/api":       "replication never imports an edge",
			"internal/oidc":      "replication never imports an edge",
			"testing":            "only _test.go files import testing",
		})
}
