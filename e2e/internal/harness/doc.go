// Package harness is what the in-process end-to-end suites (e2e/sdk,
// e2e/oauth, e2e/triggers) share to serve cognate: a fresh store of either
// backend, the engines wired on it as cmd/cognate wires them, the test
// server they are served on, and the AWS SDK clients that call it. Each
// suite keeps its own routes, options and set-up of pools and users.
//
// It is not a _test.go file, so it does not import testing (only
// storagetest and _test.go files do): it takes a small TB interface, which
// *testing.T and *testing.B satisfy, and leaves the PostgreSQL schema to
// the caller (storagetest.PostgresSchema). It imports cognate's engines,
// storage backends and HTTP shell, and nothing of cmd.
package harness
