package awslogtest

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t, nil, map[string]string{
		"github.com/cognate-dev/cognate/internal": "the stand-in is AWS's side: it shares no code with the server it tests",
		"testing": "only _test.go files import testing",
	})
}
