// Package rie runs the tests' trigger function (e2e/lambdafn) under AWS's
// Lambda Runtime Interface Emulator, which serves the Lambda Invoke API
// for it, so that cognate invokes it through the AWS SDK as it would a
// function in AWS Lambda. The emulator serves one function, named
// "function", one invocation at a time.
//
// The emulator is COGNATE_LAMBDA_RIE when set (scripts/test.sh builds it);
// otherwise Start runs scripts/build-lambda-rie.sh, which builds it from
// the Go module proxy into a cache folder.
package rie

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/e2e/proc"
)

// TB is the part of testing.TB that Start uses (so that this package,
// which is not a test file, does not import testing).
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Cleanup(func())
	Failed() bool
}

// FunctionName is the one function the emulator serves.
const FunctionName = "function"

var (
	buildOnce     sync.Once
	rieBin, fnBin string
	buildErr      error
)

// root is the repository's root, from this file's path.
func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// binaries returns the emulator and the function, building them once per
// test binary (the function into the cache folder beside the emulator).
func binaries(tb TB) (string, string) {
	tb.Helper()
	buildOnce.Do(func() {
		rieBin = os.Getenv("COGNATE_LAMBDA_RIE")
		if rieBin == "" {
			out, err := exec.Command("bash", filepath.Join(root(), "scripts", "build-lambda-rie.sh")).Output()
			if err != nil {
				buildErr = err
				return
			}
			rieBin = strings.TrimSpace(string(out))
		}
		dir, err := os.MkdirTemp("", "lambdafn-")
		if err != nil {
			buildErr = err
			return
		}
		fnBin = filepath.Join(dir, "lambdafn")
		cmd := exec.Command("go", "build", "-o", fnBin, "./e2e/lambdafn")
		cmd.Dir = root()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildError{err, out}
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return rieBin, fnBin
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string {
	return "go build e2e/lambdafn: " + e.err.Error() + "\n" + string(e.out)
}

// freeAddrs returns n distinct loopback addresses with ports nothing
// listens on. Every listener stays open until all n are chosen, so the
// kernel cannot hand the same port out twice.
func freeAddrs(tb TB, n int) []string {
	tb.Helper()
	addrs := make([]string, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs
}

// Start runs the function under the emulator, with env added to its
// environment, and returns the URL of the Invoke API it serves. The
// emulator stops when tb ends; its output (and the function's) is logged
// when tb failed.
func Start(tb TB, env ...string) string {
	tb.Helper()
	rie, fn := binaries(tb)
	addrs := freeAddrs(tb, 2)
	addr, api := addrs[0], addrs[1]
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", api, "--log-level", "error", fn)
	cmd.Env = append(os.Environ(), env...)
	logs := &proc.Log{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		cancel()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if tb.Failed() {
			tb.Logf("emulator output:\n%s", logs.String())
		}
	})
	// The emulator listens a moment after it starts: wait, at most 10
	// seconds.
	if err := proc.WaitListening(addr, 10*time.Second); err != nil {
		tb.Fatalf("the emulator does not listen on %s: %v", addr, err)
	}
	return "http://" + addr
}
