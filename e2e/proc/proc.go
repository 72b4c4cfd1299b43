// Package proc builds the cognate binary and runs it as a child process for
// black-box tests that need a real process: the crash test kills it, the
// JavaScript client test talks to it over a real port.
package proc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"
)

// Build compiles cmd/cognate into dir and returns the binary's path.
func Build(dir string) (string, error) {
	_, here, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(here), "..", "..")
	bin := filepath.Join(dir, "cognate")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/cognate")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// Server is a running cognate process.
type Server struct {
	Cmd *exec.Cmd
	// URL is the address it printed on its "listening" line.
	URL string
	// Stderr collects its log.
	Stderr *strings.Builder
}

var listening = regexp.MustCompile(`listening\s+(http://\S+)`)

// Start runs bin with args and extra environment variables and waits, up
// to a minute, until it prints the address it listens on.
func Start(bin string, env []string, args ...string) (*Server, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s := &Server{Cmd: cmd, Stderr: &strings.Builder{}}
	cmd.Stderr = s.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	select {
	case s.URL = <-found:
		return s, nil
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, errors.New("cognate did not print its address within a minute")
	}
}

// Stop sends SIGTERM and waits for the process to exit.
func (s *Server) Stop() error {
	if err := s.Cmd.Process.Signal(os.Interrupt); err != nil {
		return err
	}
	return s.Cmd.Wait()
}
