// Package rie runs the tests' trigger function (e2e/lambdafn) under AWS's
// Lambda Runtime Interface Emulator, which serves the Lambda Invoke API
// for it, so that cognate invokes it through the AWS SDK as it would a
// function in AWS Lambda. The emulator serves one function, named
// "function", one invocation at a time: asked for a second while one
// runs, it panics. AWS Lambda runs an invocation that arrives while
// another runs in an execution environment of its own, so Start serves
// the Invoke API through a proxy that does the same with emulators: each
// invocation gets an idle emulator, or a new one when all are busy, and
// runs there to its end even when its caller gave up waiting (a timed-out
// attempt, which the invoker tries again), before that emulator takes
// another.
//
// The emulator is COGNATE_LAMBDA_RIE when set (scripts/test.sh builds it);
// otherwise Start runs scripts/build-lambda-rie.sh, which builds it from
// the Go module proxy into a cache folder.
package rie

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
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
	Errorf(format string, args ...any)
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
func freeAddrs(n int) ([]string, error) {
	addrs := make([]string, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}

// maxEmulators bounds the emulators one Start runs at once; an
// invocation that finds them all busy waits for one.
const maxEmulators = 8

// emulator is one emulator process serving the function.
type emulator struct {
	url    string
	cancel context.CancelFunc
	done   chan struct{}
}

// pool is the emulators of one Start and the proxy's state.
type pool struct {
	rie, fn string
	env     []string
	logs    *proc.Log
	// slots holds a token per invocation under way, at most maxEmulators.
	slots chan struct{}

	// mu guards idle, all, closed and failures.
	mu     sync.Mutex
	idle   []*emulator
	all    []*emulator
	closed bool
	// failures are the emulators' failures while the test ran, which fail
	// it: the invoker would try again, and a retry must not hide them.
	failures []string
}

// failed records an emulator's failure.
func (p *pool) failed(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.failures = append(p.failures, fmt.Sprintf(format, args...))
	}
}

// start runs one more emulator and waits, at most 10 seconds, until it
// listens.
func (p *pool) start() (*emulator, error) {
	addrs, err := freeAddrs(2)
	if err != nil {
		return nil, err
	}
	addr, api := addrs[0], addrs[1]
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, p.rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", api, "--log-level", "error", p.fn)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, err
	}
	e := &emulator{url: "http://" + addr, cancel: cancel, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(e.done)
	}()
	p.mu.Lock()
	closed := p.closed
	if !closed {
		p.all = append(p.all, e)
	}
	p.mu.Unlock()
	if closed {
		cancel()
		<-e.done
		return nil, errors.New("the emulators are stopped")
	}
	// The emulator listens a moment after it starts.
	if err := proc.WaitListening(addr, 10*time.Second); err != nil {
		return nil, fmt.Errorf("the emulator does not listen on %s: %w", addr, err)
	}
	return e, nil
}

// get takes an idle emulator, or starts one.
func (p *pool) get() (*emulator, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		e := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return e, nil
	}
	p.mu.Unlock()
	return p.start()
}

// put gives back an emulator that finished its invocation.
func (p *pool) put(e *emulator) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.idle = append(p.idle, e)
}

// stop ends every emulator.
func (p *pool) stop() {
	p.mu.Lock()
	p.closed = true
	all := p.all
	p.mu.Unlock()
	for _, e := range all {
		e.cancel()
		<-e.done
	}
}

// ServeHTTP runs one request of the Invoke API on an emulator of its own.
// The request goes on to the emulator's answer even when the caller stops
// waiting, so that the emulator is idle again when it takes the next one.
// An emulator that fails (it died) answers 502, is not used again and
// fails the test, with its output in the test's log.
func (p *pool) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.slots <- struct{}{}
	defer func() { <-p.slots }()
	e, err := p.get()
	if err != nil {
		p.failed("start an emulator: %v", err)
		http.Error(w, "start an emulator: "+err.Error(), http.StatusBadGateway)
		return
	}
	req, err := http.NewRequestWithContext(context.WithoutCancel(r.Context()), r.Method, e.url+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		p.put(e)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.failed("the emulator at %s failed: %v", e.url, err)
		http.Error(w, "the emulator failed: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	if _, err := io.Copy(w, resp.Body); err != nil {
		// The caller went away: read the rest, so that the emulator
		// finishes this invocation before it takes another.
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return
		}
	}
	p.put(e)
}

// Start runs the function under the emulator, with env added to its
// environment, and returns the URL of the Invoke API it serves: a proxy
// that runs each invocation on an emulator of its own (see the package's
// documentation). The first emulator starts now, the others when
// invocations overlap. They stop when tb ends; their output (and the
// function's) is logged when tb failed.
func Start(tb TB, env ...string) string {
	tb.Helper()
	rie, fn := binaries(tb)
	p := &pool{rie: rie, fn: fn, env: env, logs: &proc.Log{}, slots: make(chan struct{}, maxEmulators)}
	srv := httptest.NewServer(p)
	tb.Cleanup(func() {
		p.stop()
		srv.Close()
		for _, f := range p.failures {
			tb.Errorf("%s", f)
		}
		if tb.Failed() {
			tb.Logf("emulator output:\n%s", p.logs.String())
		}
	})
	e, err := p.start()
	if err != nil {
		tb.Fatal(err)
	}
	p.put(e)
	return srv.URL
}
