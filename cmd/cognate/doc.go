// Command cognate runs the cognate server.
//
//	cognate [serve] [--listen host:port] [--data-dir DIR] [--database sqlite|postgres://…] [--config FILE]
//	cognate migrate [same flags]
//	cognate config validate [same flags]
//	cognate bench [flags]   (the load generator; see docs/bench.md)
//	cognate version
//
// serve (the default) loads and validates the configuration (see
// internal/config: defaults < file < COGNATE_* environment < flags), opens
// the store the configuration names (through the backends map in store.go,
// the one place that picks a backend), applies pending migrations, wires
// the user-pool engine, the API handler and the HTTP server, prints a
// start-up screen to stdout and serves until SIGINT or SIGTERM, then shuts
// down gracefully. A second signal ends the process at once. Logs are
// log/slog JSON on stderr. When no admin key pair is configured, the first
// start generates one into <data_dir>/admin-credentials.json and later
// starts reuse it; the secret appears on the start-up screen of the start
// that generated it only, and never in the log. A configured secret is
// never printed.
//
// Exit codes: 0 success, 1 a runtime error or a configuration with
// problems, 2 a command line that does not parse.
//
// This package holds no business logic: run(args, getenv, stdout, stderr)
// is main without the process, so that tests drive every command
// in-process. It may import any cognate package; deps_test.go keeps
// test-only packages out of the binary.
package main
