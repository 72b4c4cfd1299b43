package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestDataDirInUse checks that a second cognate on a running server's
// SQLite data directory, serve or migrate, is refused and says why,
// leaving the running one serving.
func TestDataDirInUse(t *testing.T) {
	dataDir := t.TempDir()
	s := startServe(t, nil, "--listen", "127.0.0.1:0", "--data-dir", dataDir)
	db := filepath.Join(dataDir, "cognate.db")
	want := "is in use by another cognate process (it holds " + db + ".lock); stop that process first, or give this one another data_dir"
	for _, args := range [][]string{
		{"migrate", "--data-dir", dataDir},
		{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir},
	} {
		code, stdout, stderr := runCmd(t, nil, args...)
		if code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("%s while a server runs: exit %d, stdout %q, stderr %s; want 1 and %q", args[0], code, stdout, stderr, want)
		}
	}
	if code, _ := get(t, s.url+"/ready"); code != 200 {
		t.Errorf("the running server is not ready after the refused starts: %d", code)
	}
	if code := s.shutdown(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	if code, stdout, stderr := runCmd(t, nil, "migrate", "--data-dir", dataDir); code != 0 {
		t.Errorf("migrate after the server stopped: exit %d, %s %s", code, stdout, stderr)
	}
}
