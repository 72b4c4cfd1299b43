package rie

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps keeps rie a runner of processes: it builds the function and
// starts the emulator, and imports nothing of cognate.
func TestDeps(t *testing.T) {
	deptest.Check(t, []string{"e2e/proc"}, map[string]string{
		deptest.Module + "internal/": "rie runs the function's binary; it links none of cognate",
		"testing":                    "only _test.go files import testing",
	})
}
