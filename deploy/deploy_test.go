// Package deploy_test checks the deployment files of this directory: the
// systemd unit with systemd-analyze, and the container image definition by
// building the binary it would contain with its own build command (and the
// image itself when a container builder can run here).
package deploy_test

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/e2e/proc"
)

// root is the repository's root, where the image's build context is.
const root = ".."

// containerBuild reads the Containerfile's `go build` command (its RUN line)
// and the default of each ARG it uses.
func containerBuild(t *testing.T) (cmd string, args map[string]string) {
	t.Helper()
	f, err := os.ReadFile("Containerfile")
	if err != nil {
		t.Fatal(err)
	}
	args = map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(f))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if name, def, ok := strings.Cut(strings.TrimPrefix(line, "ARG "), "="); ok && strings.HasPrefix(line, "ARG ") {
			args[name] = def
		}
		if strings.HasPrefix(line, "RUN ") && strings.Contains(line, "go build") {
			if cmd != "" {
				t.Fatal("Containerfile: two RUN lines with go build")
			}
			cmd = strings.TrimPrefix(line, "RUN ")
		}
	}
	if cmd == "" {
		t.Fatal("Containerfile: no RUN line with go build")
	}
	return cmd, args
}

// TestContainerImageBinary builds cognate with the Containerfile's own
// build command (its output redirected to a temporary directory) and checks
// that the binary the image would hold is statically linked, which the
// distroless/static base requires, reports the image's version, and
// serves with nothing from the host but a data directory.
func TestContainerImageBinary(t *testing.T) {
	cmdLine, args := containerBuild(t)
	for _, want := range []string{"CGO_ENABLED=0 ", "-o /out/cognate ", "./cmd/cognate"} {
		if !strings.Contains(cmdLine, want) {
			t.Fatalf("Containerfile build command %q lacks %q", cmdLine, want)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "cognate")
	cmdLine = strings.Replace(cmdLine, "-o /out/cognate ", "-o "+bin+" ", 1)
	build := exec.Command("sh", "-c", cmdLine)
	build.Dir = root
	build.Env = os.Environ()
	for name, def := range args {
		build.Env = append(build.Env, name+"="+def)
	}
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmdLine, err, out)
	}

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary names a dynamic loader (PT_INTERP): it is not static")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v (%v)", libs, err)
	}

	out, err := exec.Command(bin, "version").CombinedOutput()
	if want := "cognate " + args["VERSION"] + "\n"; err != nil || string(out) != want {
		t.Errorf("cognate version = %q, %v; want %q", out, err, want)
	}

	// Run it as the image does: an empty environment but the image's
	// variables, from a directory with nothing in it.
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	url, stop, log, err := startClean(bin, dir, "COGNATE_LISTEN=127.0.0.1:0", "COGNATE_DATA_DIR="+data)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	resp, err := http.Get(url + "/ready")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /ready = %d, want 200; log:\n%s", resp.StatusCode, log)
	}

	t.Run("image", func(t *testing.T) {
		if err := exec.Command("docker", "info").Run(); err != nil {
			t.Skip("no container builder answers here (docker info failed): the image itself was not built; " +
				"the binary it holds was, with the Containerfile's build command")
		}
		img := exec.Command("docker", "build", "-f", "deploy/Containerfile", "-t", "cognate-test", ".")
		img.Dir = root
		if out, err := img.CombinedOutput(); err != nil {
			t.Fatalf("docker build: %v\n%s", err, out)
		}
		out, err := exec.Command("docker", "run", "--rm", "cognate-test", "version").CombinedOutput()
		if want := "cognate " + args["VERSION"] + "\n"; err != nil || string(out) != want {
			t.Errorf("docker run cognate-test version = %q, %v; want %q", out, err, want)
		}
	})
}

// startClean starts `bin serve` in dir with only env as its environment,
// and waits up to a minute for the address it prints.
func startClean(bin, dir string, env ...string) (url string, stop func(), log *strings.Builder, err error) {
	cmd := exec.Command(bin, "serve")
	cmd.Dir = dir
	cmd.Env = env
	log = &strings.Builder{}
	cmd.Stderr = log
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, nil, err
	}
	stop = func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case url = <-found:
		return url, stop, log, nil
	case <-time.After(time.Minute):
		stop()
		return "", nil, nil, fmt.Errorf("cognate printed no address within a minute; log:\n%s", log)
	}
}

var listening = regexp.MustCompile(`listening\s+(http://\S+)`)

// TestSystemdUnit checks cognate.service with systemd-analyze: verify (its
// syntax, every key known, the binary executable) and the offline security
// review, whose exposure score must stay at 2.0 or below.
func TestSystemdUnit(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed (scripts/install-test-deps.sh installs it): deploy/cognate.service is unchecked")
	}
	unit, err := os.ReadFile("cognate.service")
	if err != nil {
		t.Fatal(err)
	}
	const execStart = "ExecStart=/usr/local/bin/cognate serve\n"
	if !bytes.Contains(unit, []byte(execStart)) {
		t.Fatalf("cognate.service lacks %q", execStart)
	}
	// verify wants the binary to exist: point the unit at a real one.
	dir := t.TempDir()
	bin, err := proc.Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "cognate.service")
	unit = bytes.Replace(unit, []byte("ExecStart=/usr/local/bin/cognate"), []byte("ExecStart="+bin), 1)
	if err := os.WriteFile(path, unit, 0o644); err != nil {
		t.Fatal(err)
	}
	// verify exits 0 on an unknown key and only prints it: any output is a
	// failure.
	out, err := exec.Command("systemd-analyze", "verify", "--man=no", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command("systemd-analyze", "security", "--offline=yes", "--threshold=20", path).CombinedOutput()
	score := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out)
	if err != nil || score == nil {
		t.Errorf("systemd-analyze security: exposure above 2.0, or no score (%v):\n%s", err, out)
	} else {
		t.Logf("exposure level %s", score[1])
	}
}
