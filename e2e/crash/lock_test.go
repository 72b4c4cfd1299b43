package crash

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestSecondProcessRefused starts a second cognate process, serve and then
// migrate, on the data directory of a running one: both are refused with a
// message that names the lock, and after the first is killed with SIGKILL
// (no chance to clean up), a new one starts: the lock dies with its holder.
func TestSecondProcessRefused(t *testing.T) {
	bin := buildCognate(t)
	dataDir := t.TempDir()
	first, _ := startCognate(t, bin, dataDir)
	want := "is in use by another cognate process (it holds " + filepath.Join(dataDir, "cognate.db") + ".lock)"
	for _, args := range [][]string{
		{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir},
		{"migrate", "--data-dir", dataDir},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(cmd.Environ(), "COGNATE_ACCESS_KEY_ID="+keyID, "COGNATE_SECRET_ACCESS_KEY="+secret)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), want) {
			t.Errorf("second %s: %v\n%s\nwant exit 1 and %q", args[0], err, out, want)
		}
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	again, _ := startCognate(t, bin, dataDir)
	_ = again.Process.Signal(syscall.SIGTERM)
	_ = again.Wait()
}
