package localkms

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps keeps localkms a runner of a process: it imports nothing of
// cognate.
func TestDeps(t *testing.T) {
	deptest.Check(t, []string{"e2e/proc"}, map[string]string{
		deptest.Module + "internal/": "localkms runs a KMS server; it links none of cognate",
		"testing":                    "only _test.go files import testing",
	})
}
