package messaging

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/cognito/..."},
		map[string]string{
			"internal/storage":   "messaging is a leaf: it delivers messages and keeps no records",
			"internal/userpool":  "engines import messaging, not the reverse",
			"internal/directory": "engines import messaging, not the reverse",
			"internal/authflow":  "engines import messaging, not the reverse",
			"internal/api":       "messaging never imports an edge",
			"internal/oidc":      "messaging never imports an edge",
			"internal/admin":     "messaging never imports an edge",
			"internal/console":   "messaging never imports an edge",
			"testing":            "only _test.go files import testing",
		})
}
