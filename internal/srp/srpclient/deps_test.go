package srpclient

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps keeps the client side independent of the server's: the tests
// and the load generator check internal/srp against it, which an import
// of internal/srp would defeat.
func TestDeps(t *testing.T) {
	deptest.Check(t, nil, map[string]string{
		deptest.Module + "internal/": "srpclient is the client side, written apart from the server's; it imports nothing of cognate",
		"testing":                    "only _test.go files import testing; the load generator links srpclient",
	})
}
