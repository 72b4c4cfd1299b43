package sqlite

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/cognate-dev/cognate/"

// allowedDeps are the cognate packages this package may import (see doc.go
// and the import table in the style guide).
var allowedDeps = map[string]bool{
	module + "internal/storage/sqlite": true, // itself
	module + "internal/storage":        true,
	module + "internal/cognito":        true,
}

// forbiddenDeps name, with the reason, cognate packages that must never be
// imported; any other cognate package not in allowedDeps fails too.
var forbiddenDeps = []struct{ prefix, reason string }{
	{module + "internal/storage/postgres", "backends are independent; only cmd/cognate picks one"},
	{module + "internal/storage/storagetest", "the conformance suite is for tests and imports testing"},
	{module + "internal/api", "storage must not know the API edge or HTTP errors"},
	{module + "internal/oidc", "storage must not know the OIDC edge"},
	{module + "internal/admin", "storage must not know the admin console"},
	{module + "internal/userpool", "engines depend on storage, not the reverse"},
	{module + "internal/authflow", "engines depend on storage, not the reverse"},
	{module + "internal/identitypool", "engines depend on storage, not the reverse"},
	{module + "internal/federation", "engines depend on storage, not the reverse"},
	{module + "internal/replication", "replication reads the store, not the reverse"},
	{module + "internal/tokens", "storage is below tokens"},
	{module + "internal/messaging", "storage is below messaging"},
	{module + "internal/triggers", "storage is below triggers"},
	{module + "internal/config", "backends take Options; config wiring is cmd/cognate's"},
	{module + "cmd/", "nothing imports a command"},
	{module + "e2e", "end-to-end tests are not a library"},
}

func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for dep := range strings.FieldsSeq(string(out)) {
		if !strings.HasPrefix(dep, module) && dep+"/" != module {
			continue
		}
		if allowedDeps[dep] {
			continue
		}
		reason := "not in the allowed list (internal/storage, internal/cognito)"
		for _, f := range forbiddenDeps {
			if strings.HasPrefix(dep, f.prefix) {
				reason = f.reason
				break
			}
		}
		t.Errorf("imports %s: %s", dep, reason)
	}
}
