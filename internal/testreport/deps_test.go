package main

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps keeps testreport independent of what it reports on: a package
// that fails to build must not stop the report of its failure.
func TestDeps(t *testing.T) {
	deptest.Check(t, nil, map[string]string{
		deptest.Module + "internal/": "the test report must build when any of cognate's packages does not",
		"testing":                    "only _test.go files import testing",
	})
}
