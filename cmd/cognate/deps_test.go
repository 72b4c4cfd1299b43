package main

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps checks that the binary wires cognate's packages without pulling
// in test-only code.
func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/..."},
		map[string]string{
			"internal/storage/storagetest": "the conformance suite is for tests, not the binary",
			"internal/deptest":             "deptest is for tests, not the binary",
			"internal/geoip/geoiptest":     "geoiptest writes databases for tests, not the binary",
			"testing":                      "only _test.go files import testing",
		})
}
