// Package deptest checks a package's imports against the import table of
// the style guide. Only _test.go files import it, and it imports nothing of
// cognate. Its own tests also check that every package whose code imports
// anything has a deps_test.go that calls Check.
package deptest

import (
	"os/exec"
	"strings"
	"testing"
)

// Module is cognate's module path.
const Module = "github.com/cognate-dev/cognate/"

// Check lists the dependencies of the package in the current directory
// with go list -deps and fails t for each cognate package that is not in
// allowed (paths relative to the module, e.g. "internal/storage"), naming
// the reason of the matching forbidden prefix. forbidden maps import-path
// prefixes (absolute, or relative to the module) to the reason they are
// forbidden. The package itself, and anything
// under an allowed path marked with a trailing "/...", is allowed.
func Check(t *testing.T, allowed []string, forbidden map[string]string) {
	t.Helper()
	self, err := exec.Command("go", "list", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for dep := range strings.FieldsSeq(string(out)) {
		if dep == strings.TrimSpace(string(self)) {
			continue
		}
		if isForbidden(dep, forbidden, t) {
			continue
		}
		rel, ok := strings.CutPrefix(dep, Module)
		if !ok || permitted(rel, allowed) {
			continue
		}
		t.Errorf("imports %s, which is not among the packages it may import (%s)", dep, strings.Join(allowed, ", "))
	}
}

func isForbidden(dep string, forbidden map[string]string, t *testing.T) bool {
	t.Helper()
	for prefix, reason := range forbidden {
		if strings.HasPrefix(dep, prefix) || strings.HasPrefix(dep, Module+prefix) {
			t.Errorf("imports %s: %s", dep, reason)
			return true
		}
	}
	return false
}

func permitted(rel string, allowed []string) bool {
	for _, a := range allowed {
		if base, tree := strings.CutSuffix(a, "/..."); tree {
			if rel == base || strings.HasPrefix(rel, base+"/") {
				return true
			}
		} else if rel == a {
			return true
		}
	}
	return false
}
