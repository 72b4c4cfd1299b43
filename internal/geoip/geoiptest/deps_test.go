package geoiptest

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t, nil, map[string]string{
		deptest.Module + "internal/": "geoiptest writes databases with mmdbwriter alone; it imports no cognate package",
		"testing":                    "only _test.go files import testing",
	})
}
