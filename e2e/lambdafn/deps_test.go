package main

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps keeps the test function a function as any team writes it: it
// imports aws-lambda-go and its own handler, none of cognate.
func TestDeps(t *testing.T) {
	deptest.Check(t, []string{"e2e/lambdafn/fn"}, map[string]string{
		deptest.Module + "internal/": "the function knows cognate only through the events it receives",
		"testing":                    "only _test.go files import testing",
	})
}
