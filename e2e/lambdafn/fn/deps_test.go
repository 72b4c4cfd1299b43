package fn

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps keeps the handler a function as any team writes it, on
// aws-lambda-go's event types alone.
func TestDeps(t *testing.T) {
	deptest.Check(t, nil, map[string]string{
		deptest.Module + "internal/": "the function knows cognate only through the events it receives",
		"testing":                    "only _test.go files import testing",
	})
}
