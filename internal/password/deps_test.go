package password

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t, []string{"internal/cognito", "internal/ratelimit"}, map[string]string{
		"internal/storage":   "password is a leaf: it hashes, the engines store",
		"internal/userpool":  "the engines build on password, not the reverse",
		"internal/directory": "the engines build on password, not the reverse",
		"internal/authflow":  "the engines build on password, not the reverse",
		"testing":            "only _test.go files import testing",
	})
}
