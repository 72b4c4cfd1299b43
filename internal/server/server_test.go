package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// apiStub answers every request with its method and path, so tests can
// tell that a request reached the API.
var apiStub = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	io.WriteString(w, "api "+r.Method+" "+r.URL.Path)
})

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRoutes(t *testing.T) {
	errDown := errors.New("dial tcp 127.0.0.1:5432: connection refused")
	tests := []struct {
		name       string
		ready      func(context.Context) error
		report     func() map[string]any
		metrics    bool
		method     string
		path       string
		wantStatus int
		wantBody   string
		wantLog    string
	}{
		{
			name: "health", method: "GET", path: "/health",
			wantStatus: 200, wantBody: `{"status":"ok"}` + "\n",
		},
		{
			name: "ready without a check", method: "GET", path: "/ready",
			wantStatus: 200, wantBody: `{"status":"ready"}` + "\n",
		},
		{
			name: "ready", ready: func(context.Context) error { return nil }, method: "GET", path: "/ready",
			wantStatus: 200, wantBody: `{"status":"ready"}` + "\n",
		},
		{
			name: "not ready", ready: func(context.Context) error { return errDown }, method: "GET", path: "/ready",
			wantStatus: 503, wantBody: `{"status":"unavailable"}` + "\n",
			wantLog: `"level":"WARN","msg":"not ready","error":"dial tcp 127.0.0.1:5432: connection refused"`,
		},
		{
			name: "ready with a report", ready: func(context.Context) error { return nil },
			report: func() map[string]any {
				return map[string]any{"replication": map[string]any{"connected": false}, "status": "overridden"}
			},
			method: "GET", path: "/ready",
			wantStatus: 200, wantBody: `{"replication":{"connected":false},"status":"ready"}` + "\n",
		},
		{
			name: "not ready with a report", ready: func(context.Context) error { return errDown },
			report: func() map[string]any { return map[string]any{"replication": map[string]any{"connected": true}} },
			method: "GET", path: "/ready",
			wantStatus: 503, wantBody: `{"replication":{"connected":true},"status":"unavailable"}` + "\n",
			wantLog: `"level":"WARN","msg":"not ready"`,
		},
		{
			name: "API at the root", method: "POST", path: "/",
			wantStatus: 200, wantBody: "api POST /",
		},
		{
			name: "API gets other methods of probe paths", method: "POST", path: "/health",
			wantStatus: 200, wantBody: "api POST /health",
		},
		{
			name: "API gets other paths", method: "GET", path: "/us-east-1_abc/.well-known/jwks.json",
			wantStatus: 200, wantBody: "api GET /us-east-1_abc/.well-known/jwks.json",
		},
		{
			name: "no metrics route without metrics", method: "GET", path: "/metrics",
			wantStatus: 200, wantBody: "api GET /metrics",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncBuffer
			opts := Options{
				API:    apiStub,
				Ready:  tc.ready,
				Report: tc.report,
				Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
			}
			if tc.metrics {
				opts.Metrics = NewMetrics()
			}
			rec := httptest.NewRecorder()
			New(opts).Handler().ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			if rec.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tc.wantStatus)
			}
			if diff := cmp.Diff(tc.wantBody, rec.Body.String()); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if !strings.Contains(logs.String(), tc.wantLog) {
				t.Errorf("log does not contain %s:\n%s", tc.wantLog, logs.String())
			}
		})
	}
}

func TestProbeHeaders(t *testing.T) {
	rec := httptest.NewRecorder()
	New(Options{}).Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/health", nil))
	for k, want := range map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"} {
		if got := rec.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestMetrics(t *testing.T) {
	m := NewMetrics()
	m.ObserveRequest("AWSCognitoIdentityProviderService", "ListUserPools", "ok", 30*time.Millisecond)
	m.ObserveRequest("AWSCognitoIdentityProviderService", "ListUserPools", "ok", 2*time.Second)
	m.ObserveRequest("AWSCognitoIdentityProviderService", "DescribeUserPool", "ResourceNotFoundException", time.Millisecond)

	rec := httptest.NewRecorder()
	New(Options{API: apiStub, Metrics: m}).Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{
		"# TYPE cognate_requests_total counter",
		`cognate_requests_total{operation="ListUserPools",outcome="ok",service="AWSCognitoIdentityProviderService"} 2`,
		`cognate_requests_total{operation="DescribeUserPool",outcome="ResourceNotFoundException",service="AWSCognitoIdentityProviderService"} 1`,
		"# TYPE cognate_request_duration_seconds histogram",
		`cognate_request_duration_seconds_bucket{operation="ListUserPools",outcome="ok",service="AWSCognitoIdentityProviderService",le="0.05"} 1`,
		`cognate_request_duration_seconds_count{operation="ListUserPools",outcome="ok",service="AWSCognitoIdentityProviderService"} 2`,
		`cognate_request_duration_seconds_sum{operation="ListUserPools",outcome="ok",service="AWSCognitoIdentityProviderService"} 2.03`,
		"# TYPE go_goroutines gauge",
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("exposition lacks %s", want)
		}
	}
}

func TestMetricsAreSeparate(t *testing.T) {
	a, b := NewMetrics(), NewMetrics()
	a.ObserveRequest("s", "o", "ok", time.Millisecond)
	rec := httptest.NewRecorder()
	b.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if strings.Contains(rec.Body.String(), `cognate_requests_total{`) {
		t.Errorf("a series observed on one Metrics shows on another")
	}
}

// startServer serves s on a loopback port until the returned cancel is
// called; the returned channel yields Serve's result.
func startServer(t *testing.T, s *Server) (addr string, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, ln) }()
	t.Cleanup(cancel)
	return ln.Addr().String(), cancel, errc
}

// waitRefused dials addr until the connection is refused, or fails the
// test after a few seconds.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s still accepts connections after shutdown began", addr)
}

func TestGracefulShutdown(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "finished")
	})
	addr, cancel, done := startServer(t, New(Options{API: slow, ShutdownTimeout: time.Minute}))

	type result struct {
		status int
		body   string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Post("http://"+addr+"/", "application/x-amz-json-1.1", strings.NewReader("{}"))
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{resp.StatusCode, string(b), err}
	}()
	<-entered

	cancel()
	waitRefused(t, addr)
	select {
	case err := <-done:
		t.Fatalf("Serve returned %v while a request was in flight", err)
	default:
	}

	close(release)
	r := <-got
	if r.err != nil || r.status != 200 || r.body != "finished" {
		t.Errorf("request in flight: status %d, body %q, error %v; want 200 finished", r.status, r.body, r.err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
}

func TestShutdownTimeout(t *testing.T) {
	entered := make(chan struct{})
	requestCtxDone := make(chan struct{})
	stuck := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
		close(requestCtxDone)
	})
	addr, cancel, done := startServer(t, New(Options{API: stuck, ShutdownTimeout: 50 * time.Millisecond}))
	go func() {
		resp, err := http.Post("http://"+addr+"/", "application/x-amz-json-1.1", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	cancel()
	err := <-done
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Serve = %v, want a shutdown error wrapping context.DeadlineExceeded", err)
	}
	<-requestCtxDone // the stuck request's connection was closed
}

func TestServeListenerError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if err := New(Options{}).Serve(context.Background(), ln); err == nil {
		t.Errorf("Serve on a closed listener = nil, want an error")
	}
}

func TestListen(t *testing.T) {
	s := New(Options{Listen: "127.0.0.1:0", API: apiStub})
	ln, err := s.Listen(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /health: %d, want 200", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v", err)
	}

	if _, err := New(Options{Listen: "127.0.0.1:notaport"}).Listen(context.Background()); err == nil {
		t.Errorf("Listen on a bad address = nil, want an error")
	}
}

func TestRequestLog(t *testing.T) {
	var logs syncBuffer
	h := New(Options{API: apiStub, Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}).Handler()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/ready", nil))
	if want := `"msg":"http request","method":"GET","path":"/ready","status":200`; !strings.Contains(logs.String(), want) {
		t.Errorf("log lacks %s:\n%s", want, logs.String())
	}
}

// TestDurationBuckets checks that the request-duration buckets rise from
// 100 µs to 30 s with no edge more than 4/3 of the one below it, fine
// enough to read a p99 within a third of its value.
func TestDurationBuckets(t *testing.T) {
	b := DurationBuckets
	if len(b) != 56 || b[0] != 0.0001 || b[len(b)-1] != 30 {
		t.Fatalf("buckets %v: want 56 from 0.0001 to 30", b)
	}
	for i := 1; i < len(b); i++ {
		if r := b[i] / b[i-1]; r <= 1 || r > 4.0/3+1e-9 {
			t.Errorf("bucket %v after %v: ratio %v, want in (1, 4/3]", b[i], b[i-1], r)
		}
	}
}
