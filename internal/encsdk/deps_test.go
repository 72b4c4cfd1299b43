package encsdk

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps keeps encsdk a leaf: the standard library, nothing of cognate.
func TestDeps(t *testing.T) {
	deptest.Check(t, nil, map[string]string{
		"github.com/aws/": "the data key comes through DataKeyGenerator; the SDK client lives in triggers",
		"testing":         "only _test.go files import testing",
	})
}
