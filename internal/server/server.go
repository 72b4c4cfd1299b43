package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// DefaultShutdownTimeout is used when Options.ShutdownTimeout is zero.
const DefaultShutdownTimeout = 30 * time.Second

// Timeouts of the HTTP server. Cognito requests are small and quick, so
// these only bound clients that are slow or stuck.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 60 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 1 << 20
	// readyTimeout bounds the store ping of one /ready probe.
	readyTimeout = 5 * time.Second
)

// Options configure a Server.
type Options struct {
	// Listen is the host:port Listen binds.
	Listen string
	// API serves every request that is not /health, /ready or /metrics:
	// the Cognito JSON API (POST /) and whatever the API mounts.
	API http.Handler
	// Ready reports whether the server can serve, typically by pinging the
	// store; nil means always ready.
	Ready func(context.Context) error
	// Report, when not nil, adds to /ready's body what it returns, by
	// name (for example "replication"), whatever the status: parts that
	// report without deciding readiness.
	Report func() map[string]any
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// Metrics, when not nil, is served at /metrics.
	Metrics *Metrics
	// ShutdownTimeout bounds how long requests in flight may run after
	// Serve's context is done; zero means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
}

// Server is cognate's HTTP server: health and readiness probes, metrics,
// and the API handler, with timeouts and graceful shutdown.
type Server struct {
	opts    Options
	log     *slog.Logger
	handler http.Handler
}

// New returns a server for opts.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.API == nil {
		opts.API = http.NotFoundHandler()
	}
	s := &Server{opts: opts, log: opts.Logger}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", s.health)
	mux.HandleFunc("GET /ready", s.ready)
	if opts.Metrics != nil {
		mux.Handle("GET /metrics", opts.Metrics.Handler())
	}
	mux.Handle("/", opts.API)
	s.handler = s.logRequests(mux)
	return s
}

// Handler returns the routed handler, for tests with httptest.
func (s *Server) Handler() http.Handler { return s.handler }

// Listen binds Options.Listen.
func (s *Server) Listen(ctx context.Context) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", s.opts.Listen, err)
	}
	return ln, nil
}

// Serve serves on ln until ctx is done, then shuts down gracefully: it
// closes ln so new connections are refused, lets requests in flight finish
// for up to ShutdownTimeout, and returns nil. If requests are still running
// then, it cancels their contexts, closes their connections and returns an
// error. Serve closes ln.
//
// Cancelling ctx starts the shutdown but does not cancel the requests in
// flight: their contexts carry ctx's values, not its cancellation.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// Requests get a base context that keeps ctx's values but not its
	// cancellation, and that is cancelled only if the shutdown times out.
	base, cancelRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRequests()
	srv := &http.Server{
		Handler:           s.handler,
		BaseContext:       func(net.Listener) context.Context { return base },
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	s.log.Info("shutting down", "timeout", s.opts.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", serveErr)
	}
	if err != nil {
		cancelRequests()
		srv.Close()
		return fmt.Errorf("shutdown: requests still running after %s: %w", s.opts.ShutdownTimeout, err)
	}
	s.log.Info("shut down")
	return nil
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeStatus(w, http.StatusOK, "ok")
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if s.opts.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := s.opts.Ready(ctx); err != nil {
			s.log.WarnContext(ctx, "not ready", "error", err.Error())
			s.writeReady(w, http.StatusServiceUnavailable, "unavailable")
			return
		}
	}
	s.writeReady(w, http.StatusOK, "ready")
}

// writeReady writes /ready's body: the status and the reports.
func (s *Server) writeReady(w http.ResponseWriter, code int, status string) {
	if s.opts.Report == nil {
		writeStatus(w, code, status)
		return
	}
	body := map[string]any{}
	for k, v := range s.opts.Report() {
		body[k] = v
	}
	body["status"] = status
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(body)
}

// writeStatus writes a probe's {"status": …} body.
func writeStatus(w http.ResponseWriter, code int, status string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(struct {
		Status string `json:"status"`
	}{status})
}

// logRequests logs every request at debug level. The API logs its own
// operations and errors; this line is for following traffic while
// debugging.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.log.Enabled(r.Context(), slog.LevelDebug) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		s.log.DebugContext(r.Context(), "http request",
			"method", r.Method,
			"path", r.URL.Path,
			"status", rec.status,
			"duration_ms", time.Since(start).Milliseconds(),
			"remote", r.RemoteAddr)
	})
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
