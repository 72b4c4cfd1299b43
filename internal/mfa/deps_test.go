package mfa

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/cognito", "internal/seal"},
		map[string]string{
			"internal/storage":  "mfa is a leaf: it computes and seals, the engines store",
			"internal/userpool": "mfa is a leaf that the engines use, not the reverse",
			"internal/authflow": "mfa is a leaf that the engines use, not the reverse",
			"testing":           "only _test.go files import testing",
		})
}
