package tokens

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/cognito", "internal/storage", "internal/seal"},
		map[string]string{
			"internal/storage/":    "tokens use the Store interface; only cmd/cognate picks a backend",
			"internal/cognito/idp": "tokens speak claims, not the API's wire types",
			"internal/userpool":    "engines build on tokens, not the reverse",
			"internal/directory":   "engines build on tokens, not the reverse",
			"internal/authflow":    "engines build on tokens, not the reverse",
			"internal/messaging":   "tokens are a leaf beside messaging",
			"internal/triggers":    "tokens are a leaf beside triggers",
			"internal/api":         "tokens never import an edge",
			"internal/oidc":        "tokens never import an edge",
			"internal/admin":       "tokens never import an edge",
			"internal/console":     "tokens never import an edge",
			"testing":              "only _test.go files import testing",
		})
}
