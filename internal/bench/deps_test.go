package bench

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t,
		[]string{"internal/cognito/...", "internal/storage", "internal/userpool", "internal/directory", "internal/srp", "internal/srp/srpclient", "internal/mfa", "internal/password",
			"internal/tokens", "internal/messaging", "internal/triggers", "internal/encsdk", "internal/seal", "internal/ratelimit"},
		map[string]string{
			"internal/storage/": "bench uses the Store interface; only cmd/cognate picks a backend",
			"internal/api":      "bench drives the API over HTTP, as any client does",
			"internal/server":   "bench drives the server over HTTP, as any client does",
			"testing":           "only _test.go files import testing",
		})
}

// TestNothingImportsBench checks that no package under internal/ depends
// on bench: the load generator is a tool beside the server, wired only by
// cmd/cognate.
func TestNothingImportsBench(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, "../...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for line := range strings.Lines(string(out)) {
		pkg, deps, _ := strings.Cut(strings.TrimSpace(line), " ")
		if strings.HasSuffix(pkg, "/internal/bench") {
			continue
		}
		for dep := range strings.FieldsSeq(deps) {
			if strings.HasSuffix(dep, "/internal/bench") {
				t.Errorf("%s imports internal/bench, which only cmd/cognate may", pkg)
			}
		}
	}
}
