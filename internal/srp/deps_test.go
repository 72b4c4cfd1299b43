package srp

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/cognito", "internal/seal"},
		map[string]string{
			"internal/storage":   "srp is a leaf: it computes and seals, the engines store",
			"internal/userpool":  "srp is a leaf that the engines use, not the reverse",
			"internal/directory": "srp is a leaf that the engines use, not the reverse",
			"internal/authflow":  "srp is a leaf that the engines use, not the reverse",
			"internal/ratelimit": "the callers queue srp's computations",
			"testing":            "only _test.go files import testing",
		})
}
