package deptest

import "testing"

// TestDeps keeps deptest free of cognate's packages, since every package's
// own deps test imports it: an import here would enter them all.
func TestDeps(t *testing.T) {
	Check(t, nil, map[string]string{Module + "internal/": "every deps test imports deptest, so it imports nothing of cognate"})
}
