package dbdump

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

// TestDeps keeps dbdump outside cognate: it reads a database with its own
// connection, as a copy of the database would be read.
func TestDeps(t *testing.T) {
	deptest.Check(t, nil, map[string]string{
		deptest.Module + "internal/": "dbdump reads the database from outside; it imports none of cognate's packages",
		deptest.Module + "cmd/":      "dbdump reads the database from outside; it does not link the command",
		"testing":                    "only _test.go files import testing",
	})
}
