package federation

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/cognito"},
		map[string]string{
			"internal/storage":  "federation talks to providers; the engines store",
			"internal/userpool": "federation is a leaf that the engines use, not the reverse",
			"internal/authflow": "federation is a leaf that the engines use, not the reverse",
			"testing":           "only _test.go files import testing",
		})
}
