package triggers

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/cognito/...", "internal/encsdk"},
		map[string]string{
			"internal/storage":  "triggers invokes functions and keeps no records",
			"internal/userpool": "engines import triggers, not the reverse",
			"internal/authflow": "engines import triggers, not the reverse",
			"internal/api":      "triggers never imports an edge",
			"internal/oidc":     "triggers never imports an edge",
			"testing":           "only _test.go files import testing",
		})
}
