package identity

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps keeps the generated wire package beside its leaf: internal/cognito
// and the standard library only.
func TestDeps(t *testing.T) {
	deptest.Check(t, []string{"internal/cognito"}, map[string]string{"testing": "only _test.go files import testing"})
}
