package weborigin

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t, nil, map[string]string{
		"github.com/": "weborigin is a leaf that imports only the standard library",
		"net/http":    "internal/config imports weborigin and must not depend on serving HTTP",
		"testing":     "only _test.go files import testing",
	})
}
