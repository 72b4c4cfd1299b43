package proc

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps keeps proc black-box: it builds and runs the cognate binary and
// talks to it over its ports, so it imports nothing of cognate.
func TestDeps(t *testing.T) {
	deptest.Check(t, nil, map[string]string{
		deptest.Module + "internal/": "proc drives the built binary from outside; it imports none of cognate's packages",
		deptest.Module + "cmd/":      "proc builds the command; it does not link it",
		"testing":                    "only _test.go files import testing",
	})
}
