package seal

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t, nil, map[string]string{
		"github.com/":   "seal is a leaf that imports only the standard library, so every engine can use it",
		"golang.org/x/": "seal imports only the standard library",
		"testing":       "only _test.go files import testing",
	})
}
