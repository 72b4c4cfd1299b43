package cputime

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t, nil, map[string]string{
		"github.com/":   "cputime is a leaf that imports only the standard library, so any benchmark can use it",
		"golang.org/x/": "cputime imports only the standard library",
		"testing":       "only _test.go files import testing; Report takes the one method of *testing.B it needs",
	})
}
