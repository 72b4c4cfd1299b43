package harness

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps keeps the harness a wiring of cognate's engines, as
// cmd/cognate's is, without the command itself, and keeps testing out of
// its code: the suites hand it their *testing.T as a TB.
func TestDeps(t *testing.T) {
	deptest.Check(t, []string{"internal/..."}, map[string]string{
		deptest.Module + "cmd/": "the suites wire the engines in process; they do not link the command",
		deptest.Module + "e2e/": "the harness serves the suites; it imports none of them",
		"testing":               "only _test.go files and storagetest import testing",
	})
}
