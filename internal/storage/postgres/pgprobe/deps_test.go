package main

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps keeps pgprobe a bare connectivity check that the test script
// runs before anything of cognate is built: it imports nothing of cognate.
func TestDeps(t *testing.T) {
	deptest.Check(t, nil, map[string]string{
		deptest.Module + "internal/": "pgprobe only pings a server; it needs nothing of cognate",
		"testing":                    "only _test.go files import testing",
	})
}
