package sts

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t, nil, map[string]string{
		"github.com/": "sts is the port identity pools depend on and imports only the standard library",
		"testing":     "only _test.go files import testing",
	})
}
