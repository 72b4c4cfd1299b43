package delegate

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/sts"},
		map[string]string{
			"internal/storage": "a client of a remote STS keeps nothing",
			"internal/config":  "it takes Options; cmd/cognate maps config onto them",
			"testing":          "only _test.go files import testing",
		})
}
