package sdkpatch

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps keeps sdkpatch free of cognate's packages, so that the
// black-box suites (e2e/js) may use it, and of testing.
func TestDeps(t *testing.T) {
	deptest.Check(t, nil, map[string]string{
		deptest.Module + "internal/": "black-box suites use it; it imports none of cognate's packages",
		deptest.Module + "cmd/":      "black-box suites use it; it imports none of cognate's packages",
		"testing":                    "only _test.go files import testing",
	})
}
