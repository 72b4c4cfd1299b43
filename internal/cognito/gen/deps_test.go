package main

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps keeps the generator beneath what it generates: it may import
// internal/cognito (the exception shapes it checks names against) and
// nothing else of cognate, so it builds whatever state the generated
// packages are in.
func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/cognito"},
		map[string]string{
			"internal/cognito/idp":      "the generator writes the wire packages, so it must build without them",
			"internal/cognito/identity": "the generator writes the wire packages, so it must build without them",
			"internal/storage":          "the generator reads models and writes code; it stores nothing",
			"testing":                   "only _test.go files import testing",
		})
}
