package local

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/sts", "internal/storage", "internal/seal"},
		map[string]string{
			"internal/storage/": "engines reach storage through its interface; cmd/cognate picks a backend",
			"internal/api":      "the STS engine is served by the API edge, not the reverse",
			"internal/oidc":     "engines never import edges",
			"internal/config":   "the STS engine takes Options; cmd/cognate maps config onto them",
			"testing":           "only _test.go files import testing",
		})
}
