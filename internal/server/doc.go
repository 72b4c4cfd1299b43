// Package server is cognate's HTTP server: it routes GET /health (the
// process is up), GET /ready (the store answers), GET /metrics (Prometheus
// exposition of a Metrics registry) and hands every other request to the
// API handler it is given. It sets the server timeouts and shuts down
// gracefully when Serve's context is done: new connections are refused and
// requests in flight finish, up to a timeout.
//
// Metrics owns a Prometheus registry of its own with the request counter
// and latency histogram; the API handler records into it through a
// one-method interface that the API declares, so neither package imports
// the other.
//
// Imports: nothing from cognate. The API arrives as an http.Handler and the
// store as a Ready function; cmd/cognate wires them. deps_test.go enforces
// this.
package server
