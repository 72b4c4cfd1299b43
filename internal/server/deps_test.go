package server

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps keeps server free of cognate's own packages: it is the HTTP
// shell, and everything cognate-specific reaches it as an http.Handler or
// a function that cmd/cognate wires in.
func TestDeps(t *testing.T) {
	deptest.Check(t, nil, map[string]string{
		"internal/api":       "the API arrives as an http.Handler; the server never imports it",
		"internal/storage":   "the store arrives as Options.Ready; the server never imports it",
		"internal/config":    "cmd/cognate maps the configuration onto Options",
		"internal/userpool":  "engines sit behind the API handler",
		"internal/directory": "engines sit behind the API handler",
		"testing":            "only _test.go files import testing",
	})
}
