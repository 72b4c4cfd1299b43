package browsertest

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps keeps browsertest black-box, as e2e/proc is: it drives the
// built binary and a browser from outside, so it imports nothing of
// cognate but e2e/proc, and not testing.
func TestDeps(t *testing.T) {
	deptest.Check(t, []string{"e2e/proc"}, map[string]string{
		deptest.Module + "internal/": "the browser tests drive the built binary from outside; they import none of cognate's packages",
		deptest.Module + "cmd/":      "the browser tests build the command; they do not link it",
		"testing":                    "only _test.go files import testing",
	})
}
