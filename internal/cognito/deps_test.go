package cognito

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps keeps cognito a leaf: the standard library only.
func TestDeps(t *testing.T) {
	deptest.Check(t, nil, map[string]string{"testing": "only _test.go files import testing"})
}
