package deptest

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestEveryPackageChecked fails for each of cognate's packages whose code
// imports anything but has no deps_test.go, so that the import rules cover
// every package, including new ones. A package made only of tests and a
// doc.go (the e2e suites, deploy) imports nothing outside its tests and has
// nothing for the check to hold.
func TestEveryPackageChecked(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}\t{{len .Imports}}\t{{join .TestGoFiles \" \"}}", Module+"...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	n := 0
	for line := range strings.Lines(string(out)) {
		f := strings.Split(strings.TrimRight(line, "\n"), "\t")
		if len(f) != 3 {
			t.Fatalf("go list line %q", line)
		}
		n++
		if f[1] == "0" || slices.Contains(strings.Fields(f[2]), "deps_test.go") {
			continue
		}
		t.Errorf("%s imports packages but has no deps_test.go checking them", f[0])
	}
	if n < 20 {
		t.Errorf("go list found %d packages, want all of cognate's", n)
	}
}
